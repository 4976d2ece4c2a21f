namespace Widgetify.Incidents.Timeline;

/// <summary>One entry of an incident's timeline.</summary>
public sealed record IncidentEvent
{
    /// <summary>Its id (UUIDv7), so that a flush retried after an unacknowledged commit stores it once.</summary>
    public Guid Id { get; init; }

    /// <summary>When it happened.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>What it records.</summary>
    public required IncidentEventKind Kind { get; init; }

    /// <summary>One sentence with the numbers.</summary>
    public required string Message { get; init; }

    /// <summary>The numbers, by name; null when there are none.</summary>
    public IReadOnlyDictionary<string, double>? Values { get; init; }

    /// <summary>The instance that recorded it; null before it is stored.</summary>
    public string? Instance { get; init; }
}
