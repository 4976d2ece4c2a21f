using Widgetify.Incidents.Persistence;

namespace Widgetify.Incidents.Spool;

/// <summary>Writes that waited for the database, and the instance they are written as.</summary>
internal sealed record SpooledBatch(string Instance, OutboxBatch Batch)
{
    /// <summary>Timeline operations and states: what the logs call entries.</summary>
    public int Entries => Batch.Ops.Count + Batch.States.Count;

    public int Samples => Batch.Samples.Count;
}
