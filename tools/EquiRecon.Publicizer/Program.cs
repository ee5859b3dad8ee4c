using System.Globalization;
using Mono.Cecil;

namespace EquiRecon.Publicizer;

/// <summary>
/// Writes compile-time copies of .NET assemblies in which non-public types and members are visible.
/// Usage: <c>EquiRecon.Publicizer &lt;output-folder&gt; &lt;input.dll&gt;...</c>.
/// </summary>
/// <remarks>
/// The copies are reference assemblies for the C# compiler only: the program that runs loads the
/// original assemblies, and <c>[assembly: IgnoresAccessChecksTo(...)]</c> in the consuming assembly
/// tells the .NET runtime to skip the access checks the copies let the compiler skip.
/// Visibility changes (nothing else changes: <c>readonly</c>, <c>sealed</c>, <c>virtual</c>, bodies and
/// attributes stay as they are):
/// <list type="bullet">
/// <item>types: top-level and nested types become public, except compiler-generated top-level types and
/// those in a <c>System</c> or <c>Microsoft.CodeAnalysis</c> namespace (polyfills such as
/// <c>NullableAttribute</c> that would clash with the framework's own or with another copy's);</item>
/// <item>methods (constructors, property and event accessors included) and fields: <c>private</c> and
/// <c>internal</c> become <c>public</c>; <c>private protected</c> becomes <c>protected</c>, so an override
/// in a consumer keeps a non-public accessibility and stays out of that consumer's public API;
/// <c>protected</c> and <c>protected internal</c> stay as they are;</item>
/// <item>fields named like an event of the same type (the event's backing field) stay as they are,
/// so that the event name is not ambiguous.</item>
/// </list>
/// </remarks>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: EquiRecon.Publicizer <output-folder> <input.dll>...");
            return 2;
        }

        string outputFolder = Path.GetFullPath(args[0]);
        Directory.CreateDirectory(outputFolder);
        try
        {
            foreach (string input in args.Skip(1))
            {
                string inputPath = Path.GetFullPath(input);
                string outputPath = Path.Combine(outputFolder, Path.GetFileName(inputPath));
                if (string.Equals(inputPath, outputPath, StringComparison.OrdinalIgnoreCase))
                {
                    Console.Error.WriteLine($"EquiRecon.Publicizer: refusing to overwrite the input '{inputPath}'.");
                    return 2;
                }

                var counts = Publicize(inputPath, outputPath);
                CopyDocumentation(inputPath, outputFolder);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"EquiRecon.Publicizer: {Path.GetFileName(inputPath)} -> {outputPath} ({counts.Types} types, {counts.Methods} methods, {counts.Fields} fields made visible)"));
            }

            return 0;
        }
        catch (Exception ex) when (ex is IOException or BadImageFormatException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"EquiRecon.Publicizer: error: {ex.Message}");
            return 1;
        }
    }

    /// <summary>Reads <paramref name="inputPath"/>, changes visibility and writes it to <paramref name="outputPath"/>.</summary>
    internal static (int Types, int Methods, int Fields) Publicize(string inputPath, string outputPath)
    {
        using var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(Path.GetDirectoryName(inputPath)!);
        // Read fully into memory so that the input file is closed before anything is written.
        var readerParameters = new ReaderParameters { AssemblyResolver = resolver, ReadingMode = ReadingMode.Immediate, InMemory = true };
        using var assembly = AssemblyDefinition.ReadAssembly(inputPath, readerParameters);

        int types = 0, methods = 0, fields = 0;
        foreach (var module in assembly.Modules)
        {
            foreach (var type in module.GetTypes())
            {
                if (PublicizeType(type))
                    types++;

                foreach (var method in type.Methods)
                {
                    if (PublicizeMethod(method))
                        methods++;
                }

                var eventNames = type.Events.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
                foreach (var field in type.Fields)
                {
                    if (!eventNames.Contains(field.Name) && PublicizeField(field))
                        fields++;
                }
            }
        }

        string temporary = outputPath + ".tmp";
        assembly.Write(temporary);
        File.Move(temporary, outputPath, overwrite: true);
        return (types, methods, fields);
    }

    private static bool PublicizeType(TypeDefinition type)
    {
        var visibility = type.Attributes & TypeAttributes.VisibilityMask;
        TypeAttributes wanted;
        if (type.IsNested)
        {
            wanted = TypeAttributes.NestedPublic;
        }
        else
        {
            // Compiler-generated types (<Module>, <PrivateImplementationDetails>, anonymous types, Roslyn's
            // embedded attributes) and framework polyfills keep their visibility: made public, they would
            // clash with the framework's own types or with the same types in another publicized assembly.
            if (type.Name.StartsWith('<') || IsInNamespace(type, "System") || IsInNamespace(type, "Microsoft.CodeAnalysis"))
                return false;
            wanted = TypeAttributes.Public;
        }

        if (visibility == wanted)
            return false;
        type.Attributes = (type.Attributes & ~TypeAttributes.VisibilityMask) | wanted;
        return true;
    }

    private static bool IsInNamespace(TypeDefinition type, string ns)
        => type.Namespace == ns || type.Namespace.StartsWith(ns + ".", StringComparison.Ordinal);

    private static bool PublicizeMethod(MethodDefinition method)
    {
        var access = method.Attributes & MethodAttributes.MemberAccessMask;
        MethodAttributes wanted = access switch
        {
            MethodAttributes.Private or MethodAttributes.Assembly => MethodAttributes.Public,
            MethodAttributes.FamANDAssem => MethodAttributes.Family,
            _ => access,
        };
        if (wanted == access)
            return false;
        method.Attributes = (method.Attributes & ~MethodAttributes.MemberAccessMask) | wanted;
        return true;
    }

    private static bool PublicizeField(FieldDefinition field)
    {
        var access = field.Attributes & FieldAttributes.FieldAccessMask;
        FieldAttributes wanted = access switch
        {
            FieldAttributes.Private or FieldAttributes.Assembly => FieldAttributes.Public,
            FieldAttributes.FamANDAssem => FieldAttributes.Family,
            _ => access,
        };
        if (wanted == access)
            return false;
        field.Attributes = (field.Attributes & ~FieldAttributes.FieldAccessMask) | wanted;
        return true;
    }

    /// <summary>Copies the XML documentation file that sits beside the input, so the compiler still finds it.</summary>
    private static void CopyDocumentation(string inputPath, string outputFolder)
    {
        string xml = Path.ChangeExtension(inputPath, ".xml");
        if (File.Exists(xml))
            File.Copy(xml, Path.Combine(outputFolder, Path.GetFileName(xml)), overwrite: true);
    }
}
