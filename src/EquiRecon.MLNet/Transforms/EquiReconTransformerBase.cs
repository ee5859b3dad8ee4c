using EquiRecon.MLNet.Persistence;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace EquiRecon.MLNet.Transforms;

/// <summary>
/// Base of EquiRecon's row-to-row transformers: one input column, one or more fixed-size
/// <see cref="float"/> vector output columns computed together, once per row, and persistence
/// inside ML.NET model zips exactly like ML.NET's own components (plain <c>mlContext.Model.Save</c> /
/// <c>mlContext.Model.Load</c>, no registration call, binary state stored in the zip).
/// </summary>
/// <remarks>
/// <para>
/// Built on Microsoft.ML's internal component API (see <c>Persistence/MicrosoftMLInternals.cs</c>); it cannot be
/// subclassed outside EquiRecon.MLNet.
/// </para>
/// <para>
/// Adding a component (see <see cref="NormalizeImagePixelsTransformer"/> for a complete one):
/// a <c>LoaderSignature</c> (at most 24 ASCII characters) and three <c>[assembly: LoadableClass(...)]</c> attributes
/// (<c>SignatureLoadModel</c>, <c>SignatureLoadRowMapper</c>, <c>SignatureLoadDataTransform</c>) naming it; a static
/// <c>GetVersionInfo()</c> built with <see cref="CreateVersionInfo"/>; the three private static <c>Create</c>
/// loaders, which check the version (<c>ctx.CheckAtModel(GetVersionInfo())</c>) and call a constructor that
/// chains to the loading constructor of this base then reads what <see cref="SaveState"/> wrote (scalars from
/// <c>ctx.Reader</c>, blobs with <see cref="ModelBlob"/>); and the abstract members below. Bump
/// <c>verWrittenCur</c> when the saved format changes and keep reading the older formats you still accept.
/// </para>
/// </remarks>
public abstract class EquiReconTransformerBase : RowToRowTransformerBase
{
    private readonly string[] _outputColumnNames;

    /// <summary>Creates the transformer from its settings.</summary>
    /// <param name="host">The host, registered under the component's name.</param>
    /// <param name="inputColumnName">The column read by the transformer.</param>
    /// <param name="outputColumnNames">The columns it adds (at least one, distinct).</param>
    private protected EquiReconTransformerBase(IHost host, string inputColumnName, IReadOnlyList<string> outputColumnNames)
        : base(host)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(inputColumnName);
        ArgumentNullException.ThrowIfNull(outputColumnNames);
        if (outputColumnNames.Count == 0)
            throw new ArgumentException("At least one output column is needed.", nameof(outputColumnNames));
        if (outputColumnNames.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("Output column names must not be empty.", nameof(outputColumnNames));
        var duplicate = outputColumnNames.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"The output column '{duplicate.Key}' is named more than once.", nameof(outputColumnNames));

        InputColumnName = inputColumnName;
        _outputColumnNames = [.. outputColumnNames];
    }

    /// <summary>Reads the column names written by <see cref="SaveModel"/>; the caller has checked the version.</summary>
    private protected EquiReconTransformerBase(IHost host, ModelLoadContext ctx)
        : base(host)
    {
        // *** Binary format (base part) ***
        // string id: input column name
        // int: number of output columns
        // for each output column: string id: name
        InputColumnName = ctx.LoadNonEmptyString();
        int count = ctx.Reader.ReadInt32();
        host.CheckDecode(count > 0, "the transformer has no output column");
        _outputColumnNames = new string[count];
        for (int i = 0; i < count; i++)
            _outputColumnNames[i] = ctx.LoadNonEmptyString();
    }

    /// <summary>The name of the column the transformer reads.</summary>
    public string InputColumnName { get; }

    /// <summary>The names of the columns the transformer adds, in output order.</summary>
    public IReadOnlyList<string> OutputColumnNames => _outputColumnNames;

    /// <summary>The loader's version stamp, written into the zip (model signature, versions, loader signature and assembly).</summary>
    private protected abstract VersionInfo CurrentVersionInfo { get; }

    /// <summary>
    /// A short description of the input column type the transformer accepts, used in schema errors,
    /// e.g. <c>Image&lt;32, 32&gt;</c>.
    /// </summary>
    private protected abstract string ExpectedInputType { get; }

    /// <summary>Whether <paramref name="type"/> is an acceptable type for the input column.</summary>
    private protected abstract bool IsValidInputType(DataViewType type);

    /// <summary>The number of <see cref="float"/> values in output column <paramref name="outputIndex"/>.</summary>
    private protected abstract int GetOutputSize(int outputIndex);

    /// <summary>Writes the component's own state after the base part (scalars with <c>ctx.Writer</c>, blobs with <see cref="ModelBlob"/>).</summary>
    private protected abstract void SaveState(ModelSaveContext ctx);

    /// <summary>
    /// Creates the per-cursor computation that reads the input column of <paramref name="input"/> and
    /// fills every output for the current row. Called once per cursor, never concurrently on one instance.
    /// </summary>
    private protected abstract RowComputation CreateRowComputation(DataViewRow input, DataViewSchema.Column inputColumn);

    /// <summary>
    /// Checks that <paramref name="inputSchema"/> has the input column with an acceptable type and returns it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The column is missing or has the wrong type; the message names
    /// the column, the expected type and the actual one (ML.NET's schema-mismatch exception).</exception>
    internal DataViewSchema.Column CheckInputSchema(DataViewSchema inputSchema)
    {
        Host.CheckValue(inputSchema, nameof(inputSchema));
        var column = inputSchema.GetColumnOrNull(InputColumnName)
            ?? throw Host.ExceptParam(nameof(inputSchema), $"Could not find input column '{InputColumnName}' (expected {ExpectedInputType}).");
        if (!IsValidInputType(column.Type))
            throw Host.ExceptSchemaMismatch(nameof(inputSchema), "input", InputColumnName, ExpectedInputType, column.Type.ToString());
        return column;
    }

    // SaveModel and MakeRowMapper are private protected in Microsoft.ML.Data; the publicized compile-time view
    // shows them as protected (so that these overrides stay out of the public API), and the runtime accepts the
    // override from this assembly because of IgnoresAccessChecksTo.

    /// <summary>Writes the version stamp, the column names, then <see cref="SaveState"/>.</summary>
    protected sealed override void SaveModel(ModelSaveContext ctx)
    {
        Host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel();
        ctx.SetVersionInfo(CurrentVersionInfo);

        ctx.SaveNonEmptyString(InputColumnName);
        ctx.Writer.Write(_outputColumnNames.Length);
        foreach (string name in _outputColumnNames)
            ctx.SaveNonEmptyString(name);

        SaveState(ctx);
    }

    /// <summary>The row mapper over <paramref name="schema"/> (validates the input column).</summary>
    protected sealed override IRowMapper MakeRowMapper(DataViewSchema schema) => new Mapper(this, schema);

    /// <summary>
    /// The version stamp of a component: <paramref name="modelSignature"/> (8 ASCII characters) identifies the
    /// format, <paramref name="loaderSignature"/> (at most 24 ASCII characters, the name in the component's
    /// <c>LoadableClass</c> attributes) the loader, and <paramref name="loaderType"/>'s assembly is recorded so
    /// that ML.NET loads and registers it by itself when it reads the zip.
    /// </summary>
    private protected static VersionInfo CreateVersionInfo(string modelSignature, uint verWrittenCur, uint verReadableCur,
        uint verWeCanReadBack, string loaderSignature, Type loaderType)
    {
        ArgumentNullException.ThrowIfNull(loaderType);
        if (modelSignature is not { Length: 8 } || !modelSignature.All(char.IsAscii))
            throw new ArgumentException($"The model signature must be 8 ASCII characters, got '{modelSignature}'.", nameof(modelSignature));
        if (string.IsNullOrEmpty(loaderSignature) || loaderSignature.Length > 24 || !loaderSignature.All(char.IsAscii))
            throw new ArgumentException($"The loader signature must be 1 to 24 ASCII characters, got '{loaderSignature}'.", nameof(loaderSignature));
        return new VersionInfo(modelSignature, verWrittenCur, verReadableCur, verWeCanReadBack,
            loaderAssemblyName: loaderType.Assembly.FullName, loaderSignature: loaderSignature);
    }

    /// <summary>
    /// The per-cursor work of a transformer: reads the current row's input once and fills all outputs.
    /// Holds whatever the cursor needs (getters, reusable buffers, native resources) and releases it in
    /// <see cref="Dispose()"/>, which runs when the cursor is disposed.
    /// </summary>
    private protected abstract class RowComputation : IDisposable
    {
        /// <summary>Fills <paramref name="outputs"/>[k] (length <c>GetOutputSize(k)</c>) for the current row.</summary>
        public abstract void Compute(float[][] outputs);

        /// <summary>Releases what the computation holds.</summary>
        public void Dispose()
        {
            Dispose(true);
            GC.SuppressFinalize(this);
        }

        /// <summary>Releases what the computation holds.</summary>
        protected virtual void Dispose(bool disposing)
        {
        }
    }

    // Field names avoid those of MapperBase: in the publicized compile-time view its private fields are visible.
    private sealed class Mapper : MapperBase
    {
        private readonly EquiReconTransformerBase _owner;
        private readonly DataViewSchema.Column _inputColumn;
        private readonly int[] _sizes;

        public Mapper(EquiReconTransformerBase parent, DataViewSchema inputSchema)
            : base(parent.Host.Register(nameof(Mapper)), inputSchema, parent)
        {
            _owner = parent;
            _inputColumn = parent.CheckInputSchema(inputSchema);
            _sizes = new int[parent._outputColumnNames.Length];
            for (int i = 0; i < _sizes.Length; i++)
            {
                _sizes[i] = parent.GetOutputSize(i);
                Host.Check(_sizes[i] > 0, "output sizes must be positive");
            }
        }

        protected override DataViewSchema.DetachedColumn[] GetOutputColumnsCore()
        {
            var columns = new DataViewSchema.DetachedColumn[_sizes.Length];
            for (int i = 0; i < columns.Length; i++)
                columns[i] = new DataViewSchema.DetachedColumn(_owner._outputColumnNames[i], new VectorDataViewType(NumberDataViewType.Single, _sizes[i]));
            return columns;
        }

        /// <summary>
        /// One <see cref="RowComputation"/> per cursor, shared by all active output columns; it runs at most
        /// once per row (keyed by the row position), whichever columns are read and how often.
        /// </summary>
        public override Delegate[] CreateGetters(DataViewRow input, Func<int, bool> activeOutput, out Action disposer)
        {
            Host.CheckValue(input, nameof(input));
            Host.CheckValue(activeOutput, nameof(activeOutput));
            var getters = new Delegate[_sizes.Length];
            var active = Enumerable.Range(0, _sizes.Length).Where(activeOutput).ToArray();
            if (active.Length == 0)
            {
                disposer = null!;
                return getters;
            }

            var computation = _owner.CreateRowComputation(input, _inputColumn);
            var buffers = _sizes.Select(size => new float[size]).ToArray();
            long computedPosition = -1;
            void EnsureComputed()
            {
                if (computedPosition != input.Position)
                {
                    computation.Compute(buffers);
                    computedPosition = input.Position;
                }
            }

            foreach (int i in active)
            {
                float[] buffer = buffers[i];
                ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> dst) =>
                {
                    EnsureComputed();
                    var editor = VBufferEditor.Create(ref dst, buffer.Length);
                    buffer.CopyTo(editor.Values);
                    dst = editor.Commit();
                };
                getters[i] = getter;
            }

            disposer = computation.Dispose;
            return getters;
        }

        // CreateGetters is overridden to share one computation among columns; the per-column path is unused.
        protected override Delegate MakeGetter(DataViewRow input, int iinfo, Func<int, bool> activeOutput, out Action disposer)
            => throw new NotSupportedException("EquiRecon mappers create their getters together.");

        protected override Func<int, bool> GetDependenciesCore(Func<int, bool> activeOutput)
        {
            bool anyActive = Enumerable.Range(0, _sizes.Length).Any(activeOutput);
            int inputIndex = _inputColumn.Index;
            return column => anyActive && column == inputIndex;
        }

        protected override void SaveModel(ModelSaveContext ctx) => _owner.SaveModel(ctx);
    }
}
