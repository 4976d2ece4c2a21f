namespace Widgetify.Postgres.Standbys;

/// <summary>What <see cref="LocalStandbys.EnsureAsync"/> did.</summary>
/// <param name="Streaming">The standbys that are up and streaming from the primary, by number.</param>
/// <param name="Failures">Each standby that could not be made, started or brought to streaming, with the reason.</param>
/// <param name="Removed">Standbys beyond the count asked for, removed with their slots.</param>
public sealed record StandbyOutcome(
    IReadOnlyList<PostgresStandby> Streaming, IReadOnlyList<StandbyFailure> Failures, IReadOnlyList<string> Removed);

/// <summary>A standby that is not available, and why.</summary>
/// <param name="Name">The standby, such as <c>standby-2</c>.</param>
/// <param name="Reason">What happened and what to change (the exception's message).</param>
/// <param name="Exception">The error itself.</param>
public sealed record StandbyFailure(string Name, string Reason, Exception Exception);
