using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace EquiRecon.MLNet.Featurizer;

/// <summary>
/// The batched output of <see cref="EquiReconFeaturizerTransformer.Transform"/>: the input's columns, then the
/// featurizer's output columns (the same schema as the per-row path).
/// </summary>
/// <remarks>
/// A cursor that reads any output column uses two cursors over the input, as ML.NET's own batch transforms do: a
/// look-ahead cursor that reads only the input column, <c>BatchSize</c> rows at a time, encoded in one forward pass;
/// and the main cursor that serves the passthrough columns. Both get the same row order (the same seed when shuffled)
/// and every row's id is compared, so an input that cannot replay its rows identically fails with a clear message
/// instead of misaligning features. One batch is held at a time.
/// </remarks>
internal sealed class FeaturizerDataView : IDataView
{
    private readonly IHost _host;
    private readonly EquiReconFeaturizerTransformer _parent;
    private readonly IDataView _input;
    private readonly DataViewSchema.Column _inputColumn;
    private readonly int _inputCount;

    public FeaturizerDataView(IHost host, EquiReconFeaturizerTransformer parent, IDataView input, DataViewSchema.Column inputColumn, DataViewSchema schema)
    {
        _host = host;
        _parent = parent;
        _input = input;
        _inputColumn = inputColumn;
        _inputCount = input.Schema.Count;
        Schema = schema;
        _host.Assert(Schema.Count == _inputCount + parent.OutputColumnNames.Count, "the output schema appends the output columns to the input's");
    }

    public DataViewSchema Schema { get; }

    public bool CanShuffle => _input.CanShuffle;

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        _host.CheckValue(columnsNeeded, nameof(columnsNeeded));
        var active = new bool[Schema.Count];
        foreach (var column in columnsNeeded)
        {
            _host.CheckParam(column.Index < Schema.Count && Schema[column.Index].Name == column.Name, nameof(columnsNeeded),
                $"The column '{column.Name}' does not belong to this data view's schema.");
            active[column.Index] = true;
        }

        bool anyOutput = active.AsSpan(_inputCount).IndexOf(true) >= 0;
        var inputColumns = Enumerable.Range(0, _inputCount).Where(i => active[i]).Select(i => _input.Schema[i]).ToArray();
        int? seed = rand?.Next();
        var main = _input.GetRowCursor(inputColumns, seed is int s1 ? new Random(s1) : null);
        DataViewRowCursor? lookAhead = null;
        try
        {
            if (anyOutput)
                lookAhead = _input.GetRowCursor([_inputColumn], seed is int s2 ? new Random(s2) : null);
            return new Cursor(this, main, lookAhead, active);
        }
        catch
        {
            main.Dispose();
            lookAhead?.Dispose();
            throw;
        }
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly FeaturizerDataView _view;
        private readonly DataViewRowCursor _main;
        private readonly DataViewRowCursor? _lookAhead;
        private readonly bool[] _active;
        private readonly PixelBatch? _batch;
        private readonly float[] _pooled;
        private readonly DataViewRowId[] _ids;
        private readonly ValueGetter<DataViewRowId>? _mainId;
        private readonly ValueGetter<DataViewRowId>? _lookAheadId;
        private readonly Delegate?[] _outputGetters;
        private long _position = -1;
        private int _slot = -1;
        private bool _done;

        public Cursor(FeaturizerDataView view, DataViewRowCursor main, DataViewRowCursor? lookAhead, bool[] active)
        {
            _view = view;
            _main = main;
            _lookAhead = lookAhead;
            _active = active;
            _outputGetters = new Delegate?[view._parent.OutputColumnNames.Count];
            _pooled = [];
            _ids = [];
            if (lookAhead is not null)
            {
                var parent = view._parent;
                _batch = PixelBatch.Create(lookAhead, lookAhead.Schema[view._inputColumn.Index], parent.InputSize, parent.BatchSize);
                _pooled = new float[parent.BatchSize * parent.FeatureSize];
                _ids = new DataViewRowId[parent.BatchSize];
                _mainId = main.GetIdGetter();
                _lookAheadId = lookAhead.GetIdGetter();
                for (int k = 0; k < _outputGetters.Length; k++)
                {
                    if (active[view._inputCount + k])
                        _outputGetters[k] = MakeOutputGetter(k);
                }
            }
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _position;

        public override long Batch => _main.Batch;

        public override bool IsColumnActive(DataViewSchema.Column column)
        {
            _view._host.CheckParam(column.Index < _active.Length, nameof(column));
            return _active[column.Index];
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            _view._host.CheckParam(column.Index < _active.Length && _active[column.Index], nameof(column), "The requested column is not active.");
            if (column.Index < _view._inputCount)
                return _main.GetGetter<TValue>(_main.Schema[column.Index]);

            var getter = _outputGetters[column.Index - _view._inputCount]!;
            return getter as ValueGetter<TValue>
                ?? throw _view._host.Except($"Invalid TValue in GetGetter for column '{column.Name}': '{typeof(TValue)}', expected '{typeof(VBuffer<float>)}'.");
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => _main.GetIdGetter();

        public override bool MoveNext()
        {
            if (_done)
                return false;
            if (!_main.MoveNext())
            {
                _done = true;
                _slot = -1;
                return false;
            }

            _position++;
            if (_lookAhead is not null)
            {
                _slot++;
                if (_slot >= _batch!.Count)
                    FillBatch();
                DataViewRowId id = default;
                _mainId!(ref id);
                if (!id.Equals(_ids[_slot]))
                {
                    throw _view._host.Except(
                        $"The input data view returned its rows in different orders on two cursors (row {_position}): EquiRecon's batched featurizer reads the column '{_view._inputColumn.Name}' ahead on a second cursor and needs an input that replays its rows identically. Add AppendCacheCheckpoint before the featurizer, or use the per-row path (a PredictionEngine).");
                }
            }

            return true;
        }

        /// <summary>Reads up to BatchSize rows on the look-ahead cursor and encodes them in one forward pass.</summary>
        private void FillBatch()
        {
            var batch = _batch!;
            batch.Clear();
            while (batch.Count < batch.Capacity && _lookAhead!.MoveNext())
            {
                _lookAheadId!(ref _ids[batch.Count]);
                batch.ReadCurrentRow();
            }

            if (batch.Count == 0)
                throw _view._host.Except("The input data view returned more rows on one cursor than on another: EquiRecon's batched featurizer needs an input that replays its rows identically. Add AppendCacheCheckpoint before the featurizer.");
            _view._parent.Encode(batch, _pooled);
            _slot = 0;
        }

        private ValueGetter<VBuffer<float>> MakeOutputGetter(int outputIndex)
        {
            var (start, length) = _view._parent.Segment(outputIndex);
            int channels = _view._parent.FeatureSize;
            return (ref VBuffer<float> value) =>
            {
                _view._host.Check(_slot >= 0 && !_done, "The cursor is not on a row.");
                var editor = VBufferEditor.Create(ref value, length);
                _pooled.AsSpan((_slot * channels) + start, length).CopyTo(editor.Values);
                value = editor.Commit();
            };
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _batch?.Dispose();
                _lookAhead?.Dispose();
                _main.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
