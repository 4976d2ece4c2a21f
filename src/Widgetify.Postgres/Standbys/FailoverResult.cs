namespace Widgetify.Postgres.Standbys;

/// <summary>What a failover did (<see cref="LocalStandbys.PromoteIntoPrimaryAsync"/>).</summary>
/// <param name="Promoted">The standby now in the primary's place.</param>
/// <param name="ReceivedBytes">The WAL position it had received, in bytes from the start: the last write it has.</param>
/// <param name="Behind">Each other standby, and how many bytes of WAL it had received less than the promoted one.</param>
/// <param name="Rebuilt">The standbys made again from the new primary, streaming.</param>
/// <param name="Failures">The standbys that could not be made again, each with why.</param>
public sealed record FailoverResult(
    string Promoted, long ReceivedBytes, IReadOnlyList<(string Name, long Bytes)> Behind, IReadOnlyList<PostgresStandby> Rebuilt,
    IReadOnlyList<StandbyFailure> Failures);
