using System.Text.Json.Serialization;

namespace Widgetify.Incidents.Spool;

/// <summary>The spool file as written: the incident writes that still waited for the database when the service
/// stopped. Its own types, not the outbox's: the file outlives the process, so its shape is a format with a
/// <see cref="Version"/>, changed on purpose, never by a refactoring of the domain records.</summary>
internal sealed record SpoolDocument
{
    /// <summary>The version this code writes and reads; a file of another version is moved aside, not guessed at.</summary>
    public const int CurrentVersion = 1;

    public required int Version { get; init; }

    public required DateTimeOffset WrittenAt { get; init; }

    /// <summary>The instance that stopped and wrote the file.</summary>
    public required string WrittenBy { get; init; }

    /// <summary>One section per instance whose writes wait, oldest first: a spool loaded at start and not yet delivered
    /// when the service stopped again comes before what the new instance queued.</summary>
    public required IReadOnlyList<SpoolSection> Sections { get; init; }
}

/// <summary>One instance's waiting writes, written as that instance (the impact rows and timeline entries are its).</summary>
internal sealed record SpoolSection
{
    public required string Instance { get; init; }

    /// <summary>The incidents the ops refer to, by position (<see cref="SpoolOp.Handle"/>): several ops share one.</summary>
    public required IReadOnlyList<SpoolHandle> Handles { get; init; }

    /// <summary>In the order they are written: the ordered ops, then the latest states, then the samples.</summary>
    public required IReadOnlyList<SpoolOp> Ops { get; init; }
}

/// <summary>An incident as the instance knew it: its id (the stored one once the database said which), and whether it
/// joined one opened elsewhere.</summary>
internal sealed record SpoolHandle(Guid Id, bool Joined);

/// <summary>One queued write, named by <c>type</c> in the file.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(SpoolOpenOp), "open")]
[JsonDerivedType(typeof(SpoolEventOp), "event")]
[JsonDerivedType(typeof(SpoolStateOp), "state")]
[JsonDerivedType(typeof(SpoolResolveOp), "resolve")]
[JsonDerivedType(typeof(SpoolLeaveOp), "leave")]
[JsonDerivedType(typeof(SpoolPostmortemOp), "postmortem")]
[JsonDerivedType(typeof(SpoolSampleOp), "sample")]
internal abstract record SpoolOp
{
    /// <summary>The position of its incident in <see cref="SpoolSection.Handles"/>.</summary>
    public required int Handle { get; init; }
}

internal sealed record SpoolOpenOp : SpoolOp
{
    public required Guid IncidentId { get; init; }

    public required string Title { get; init; }

    public required DateTimeOffset ImpactStartedAt { get; init; }

    public required DateTimeOffset DetectedAt { get; init; }

    public required string DetectedBy { get; init; }

    public required string DetectionSummary { get; init; }

    public required IReadOnlyList<string> Alerts { get; init; }

    public required double SloP99Seconds { get; init; }

    public required double SloAvailability { get; init; }
}

internal sealed record SpoolEventOp : SpoolOp
{
    public required SpoolEvent Event { get; init; }

    public bool Opening { get; init; }
}

internal sealed record SpoolStateOp : SpoolOp
{
    public required SpoolState State { get; init; }
}

internal sealed record SpoolResolveOp : SpoolOp
{
    public required SpoolState Final { get; init; }

    public required DateTimeOffset ResolvedAt { get; init; }

    public required SpoolEvent Event { get; init; }
}

internal sealed record SpoolLeaveOp : SpoolOp
{
    public required SpoolState Final { get; init; }

    public required DateTimeOffset LeftAt { get; init; }

    public required SpoolEvent Event { get; init; }
}

internal sealed record SpoolPostmortemOp : SpoolOp
{
    public required string Path { get; init; }

    public required SpoolEvent Event { get; init; }
}

internal sealed record SpoolSampleOp : SpoolOp
{
    public required SpoolSample Sample { get; init; }
}
