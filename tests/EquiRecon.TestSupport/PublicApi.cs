using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;

namespace EquiRecon.TestSupport;

/// <summary>
/// The public surface of an assembly as text (one line per exported type and per public or protected member, sorted), and
/// the check of it against an approved file kept in the repository: a change to the surface is a visible diff.
/// </summary>
public static class PublicApi
{
    /// <summary>One line per exported type and member of <paramref name="assembly"/>, sorted ordinally.</summary>
    public static string Describe(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            string name = type.FullName ?? type.Name;
            lines.Add($"{name} : {Kind(type)}{Bases(type)}");
            const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var member in type.GetMembers(flags))
            {
                if (Visible(member) && Line(member) is { } line)
                    lines.Add($"{name} :: {line}");
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return string.Join('\n', lines.Distinct(StringComparer.Ordinal)) + "\n";
    }

    /// <summary>
    /// Compares the surface of <paramref name="assembly"/> with <c>&lt;name&gt;.approved.txt</c> in the folder of the calling
    /// source file (or, where builds map source paths, the copy in the test output's <c>Api/</c> folder); on a difference
    /// writes <c>&lt;name&gt;.received.txt</c> beside the source file (or in the output) and returns the added and removed
    /// lines (empty when equal). Approve a change by copying the received file over the approved one.
    /// </summary>
    public static string Difference(Assembly assembly, [CallerFilePath] string callerFile = "")
    {
        ArgumentNullException.ThrowIfNull(assembly);
        string name = assembly.GetName().Name!;
        string? sourceFolder = Path.GetDirectoryName(callerFile);
        string folder = sourceFolder is not null && File.Exists(Path.Combine(sourceFolder, name + ".approved.txt"))
            ? sourceFolder
            : sourceFolder is not null && Directory.Exists(sourceFolder) ? sourceFolder : Path.Combine(AppContext.BaseDirectory, "Api");
        string approvedPath = Path.Combine(folder, name + ".approved.txt");
        if (!File.Exists(approvedPath))
            approvedPath = Path.Combine(AppContext.BaseDirectory, "Api", name + ".approved.txt");
        Directory.CreateDirectory(folder);
        string receivedPath = Path.Combine(folder, name + ".received.txt");
        string actual = Describe(assembly);
        string approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : "";
        if (approved == actual)
        {
            File.Delete(receivedPath);
            return "";
        }

        File.WriteAllText(receivedPath, actual);
        var before = approved.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var after = actual.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var text = new StringBuilder();
        text.Append("The public API of ").Append(name).Append(" differs from ").Append(approvedPath)
            .Append(" (the surface is in ").Append(receivedPath).Append("; copy it over the approved file to accept):\n");
        foreach (var line in after.Except(before).Order(StringComparer.Ordinal))
            text.Append("+ ").Append(line).Append('\n');
        foreach (var line in before.Except(after).Order(StringComparer.Ordinal))
            text.Append("- ").Append(line).Append('\n');
        return text.ToString();
    }

    private static string Kind(Type type) =>
        type.IsEnum ? "enum"
        : type.IsInterface ? "interface"
        : type.IsValueType ? "struct"
        : typeof(Delegate).IsAssignableFrom(type) ? "delegate"
        : type.IsAbstract && type.IsSealed ? "static class"
        : (type.IsSealed ? "sealed " : type.IsAbstract ? "abstract " : "") + "class";

    private static string Bases(Type type)
    {
        var bases = new List<string>();
        if (type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum) && !typeof(Delegate).IsAssignableFrom(type))
            bases.Add(Format(b));
        bases.AddRange(type.GetInterfaces().Select(Format).Order(StringComparer.Ordinal));
        return bases.Count == 0 ? "" : " : " + string.Join(", ", bases);
    }

    private static bool Visible(MemberInfo member) => member switch
    {
        MethodBase m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly,
        FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
        PropertyInfo p => p.GetAccessors(nonPublic: true).Any(a => a.IsPublic || a.IsFamily || a.IsFamilyOrAssembly),
        EventInfo e => e.AddMethod is { } add && (add.IsPublic || add.IsFamily || add.IsFamilyOrAssembly),
        Type t => t.IsNestedPublic || t.IsNestedFamily || t.IsNestedFamORAssem,
        _ => false,
    };

    private static string? Line(MemberInfo member) => member switch
    {
        ConstructorInfo c => $"ctor({Parameters(c)})",
        MethodInfo m when m.IsSpecialName && !m.Name.StartsWith("op_", StringComparison.Ordinal) => null,  // accessors
        MethodInfo m => $"{(m.IsStatic ? "static " : "")}{Format(m.ReturnType)} {m.Name}{Generic(m)}({Parameters(m)})",
        PropertyInfo p => $"{(p.GetAccessors(true)[0].IsStatic ? "static " : "")}{Format(p.PropertyType)} {p.Name}{Indexer(p)} {{ {Accessors(p)}}}",
        FieldInfo f when f.DeclaringType!.IsEnum => f.IsSpecialName ? null : $"{f.Name} = {Convert.ToInt64(f.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture)}",
        FieldInfo f => $"{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{(f.IsInitOnly ? "readonly " : "")}{Format(f.FieldType)} {f.Name}{(f.IsLiteral ? " = " + f.GetRawConstantValue() : "")}",
        EventInfo e => $"event {Format(e.EventHandlerType!)} {e.Name}",
        Type => null,  // nested types are listed as types
        _ => null,
    };

    private static string Accessors(PropertyInfo p)
    {
        var text = new StringBuilder();
        if (p.GetMethod is { } get && (get.IsPublic || get.IsFamily || get.IsFamilyOrAssembly))
            text.Append("get; ");
        if (p.SetMethod is { } set && (set.IsPublic || set.IsFamily || set.IsFamilyOrAssembly))
            text.Append(set.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.FullName == "System.Runtime.CompilerServices.IsExternalInit") ? "init; " : "set; ");
        return text.ToString();
    }

    private static string Indexer(PropertyInfo p)
    {
        var index = p.GetIndexParameters();
        return index.Length == 0 ? "" : "[" + string.Join(", ", index.Select(i => Format(i.ParameterType))) + "]";
    }

    private static string Generic(MethodInfo m) => m.IsGenericMethodDefinition ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : "";

    private static string Parameters(MethodBase m) => string.Join(", ", m.GetParameters().Select(p =>
        (p.IsOut ? "out " : p.ParameterType.IsByRef ? "ref " : "") + Format(p.ParameterType) + " " + p.Name
        + (p.HasDefaultValue ? " = " + (p.DefaultValue is null ? "null" : Convert.ToString(p.DefaultValue, System.Globalization.CultureInfo.InvariantCulture)) : "")));

    private static string Format(Type type)
    {
        if (type.IsByRef)
            return Format(type.GetElementType()!);
        if (type.IsArray)
            return Format(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        if (type.IsGenericParameter)
            return type.Name;
        if (Nullable.GetUnderlyingType(type) is { } underlying)
            return Format(underlying) + "?";
        string name = type.IsNested ? Format(type.DeclaringType!) + "." + type.Name : (type.Namespace is { Length: > 0 } ns ? ns + "." : "") + type.Name;
        if (!type.IsGenericType)
            return name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        return (tick >= 0 ? name[..tick] : name) + "<" + string.Join(", ", type.GetGenericArguments().Select(Format)) + ">";
    }
}
