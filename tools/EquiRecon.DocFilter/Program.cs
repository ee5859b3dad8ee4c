using System.Xml.Linq;
using Mono.Cecil;

namespace EquiRecon.DocFilter;

/// <summary>
/// Usage: <c>EquiRecon.DocFilter &lt;assembly.dll&gt; &lt;documentation.xml&gt;</c>. Rewrites the documentation file in
/// place, keeping namespace entries (<c>N:</c>), the entries of externally visible types (<c>T:</c>: public, or
/// public/protected nested in a visible type) and the entries of their public or protected members
/// (<c>M:</c>, <c>P:</c>, <c>F:</c>, <c>E:</c>; matched by declaring type and name, so an internal overload of a
/// public method name keeps its entry). Idempotent. Prints what it kept and removed.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length != 2)
        {
            Console.Error.WriteLine("usage: EquiRecon.DocFilter <assembly.dll> <documentation.xml>");
            return 2;
        }
        var (assemblyPath, xmlPath) = (args[0], args[1]);
        var visible = VisibleMembers(assemblyPath);
        var document = XDocument.Load(xmlPath, LoadOptions.PreserveWhitespace);
        var members = document.Root?.Element("members")
            ?? throw new InvalidDataException($"{xmlPath} has no <members> element; is it a C# documentation file?");
        var entries = members.Elements("member").ToList();
        var removed = 0;
        foreach (var entry in entries)
        {
            var id = (string?)entry.Attribute("name") ?? "";
            if (Keep(id, visible))
                continue;
            entry.PreviousNode?.Remove(); // the whitespace before it
            entry.Remove();
            removed++;
        }
        var temp = xmlPath + ".filtering";
        document.Save(temp, SaveOptions.DisableFormatting);
        File.Move(temp, xmlPath, overwrite: true);
        Console.WriteLine($"EquiRecon.DocFilter: {Path.GetFileName(xmlPath)}: kept {entries.Count - removed}, removed {removed} non-public entries.");
        return 0;
    }

    /// <summary>Doc-ID type name (<c>Ns.Outer.Inner`1</c>) → names of its public or protected members (<c>#ctor</c> for constructors).</summary>
    private static Dictionary<string, HashSet<string>> VisibleMembers(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var result = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var type in module.Types)
            Add(type, parentVisible: true);
        return result;

        void Add(TypeDefinition type, bool parentVisible)
        {
            var visible = parentVisible && (type.IsPublic || type.IsNestedPublic || type.IsNestedFamily || type.IsNestedFamilyOrAssembly);
            if (!visible)
                return;
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var method in type.Methods.Where(m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly))
                names.Add(method.Name.Replace('.', '#'));
            foreach (var property in type.Properties.Where(p => IsVisible(p.GetMethod) || IsVisible(p.SetMethod)))
                names.Add(property.Name);
            foreach (var field in type.Fields.Where(f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly))
                names.Add(field.Name);
            foreach (var evt in type.Events.Where(e => IsVisible(e.AddMethod)))
                names.Add(evt.Name);
            result[type.FullName.Replace('/', '.')] = names;
            foreach (var nested in type.NestedTypes)
                Add(nested, visible);
        }

        static bool IsVisible(MethodDefinition? m) => m is not null && (m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly);
    }

    private static bool Keep(string id, Dictionary<string, HashSet<string>> visible)
    {
        if (id.Length < 2 || id[1] != ':')
            return true;
        var body = id[2..];
        switch (id[0])
        {
            case 'N':
                return true;
            case 'T':
                return visible.ContainsKey(body);
            case 'M' or 'P' or 'F' or 'E':
                var paren = body.IndexOf('(', StringComparison.Ordinal);
                if (paren >= 0)
                    body = body[..paren];
                var arity = body.IndexOf("``", StringComparison.Ordinal);
                if (arity >= 0)
                    body = body[..arity];
                var tilde = body.IndexOf('~', StringComparison.Ordinal); // conversion operators: op_Implicit~Type
                if (tilde >= 0)
                    body = body[..tilde];
                var dot = body.LastIndexOf('.');
                if (dot <= 0)
                    return false;
                return visible.TryGetValue(body[..dot], out var names) && names.Contains(body[(dot + 1)..]);
            default:
                return true;
        }
    }
}
