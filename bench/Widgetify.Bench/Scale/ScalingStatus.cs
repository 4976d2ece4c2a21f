using System.Text.Json;

namespace Widgetify.Bench.Scale;

/// <summary>One server of <c>GET /api/scaling</c>, as the service instance sees it.</summary>
/// <param name="Name"><c>primary</c> or the standby's name (<c>standby-1</c>).</param>
/// <param name="Role"><c>primary</c> or <c>standby</c>.</param>
/// <param name="Port">Its loopback port: with the name, what tells a standby from a later one of the same name.</param>
/// <param name="State"><c>ready</c>, <c>lagging</c>, <c>draining</c>, <c>starting</c> or <c>down</c>.</param>
/// <param name="LagSeconds">How far behind the primary it replays.</param>
/// <param name="ReadsServed">Reads the instance routed there that completed, since it was added.</param>
/// <param name="Problem">Why it is out of rotation, if it is.</param>
internal sealed record ScalingServer(string Name, string Role, int Port, string State, double LagSeconds, long ReadsServed, string? Problem)
{
    public bool IsStandby => Role == "standby";

    /// <summary>Same server: same name and port (a replacement may reuse the name, not the port it is given).</summary>
    public bool IsSameServer(ScalingServer other) => other is not null && other.Name == Name && other.Port == Port;
}

/// <summary>One decision of the autoscaler: <c>direction</c> <c>out</c> or <c>in</c>, <c>result</c> <c>pending</c>,
/// <c>succeeded</c> or <c>failed</c>.</summary>
internal sealed record ScalingDecision(
    DateTimeOffset At, string Direction, int From, int To, string Reason, string Result, string? Message, DateTimeOffset? CompletedAt,
    bool Replacement)
{
    public bool IsCompleted => Result != "pending";

    /// <summary>The same decision seen in another poll (its result may have moved on since).</summary>
    public bool IsSameDecision(ScalingDecision other) => other is not null && other.At == At && other.Direction == Direction && other.From == From;
}

/// <summary>One answer of <c>GET /api/scaling</c>.</summary>
/// <param name="Saturation">The read path's latest second as the autoscaler took it in (1 is at target); null before the first.</param>
/// <param name="Leading">Whether this instance held the autoscaler's lease, and so ran its loop.</param>
/// <param name="Servers">The primary first, then the standbys.</param>
/// <param name="Decisions">The fleet's recent decisions, newest first.</param>
internal sealed record ScalingStatus(double? Saturation, bool Leading, IReadOnlyList<ScalingServer> Servers, IReadOnlyList<ScalingDecision> Decisions)
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public IEnumerable<ScalingServer> Standbys => Servers.Where(s => s.IsStandby);

    /// <summary>Reads a body; one without <c>servers</c> is a <see cref="JsonException"/>, which the sampler counts as a
    /// failed poll. Fields the bench does not use are ignored.</summary>
    public static ScalingStatus Parse(string json)
    {
        var body = JsonSerializer.Deserialize<Body>(json, Options) ?? throw new JsonException("The /api/scaling body is null.");
        if (body.Servers is null)
        {
            throw new JsonException("The /api/scaling body has no 'servers' array.");
        }

        return new ScalingStatus(body.Autoscaler?.Saturation, body.Autoscaler?.Leading ?? false, body.Servers, body.Decisions ?? []);
    }

    private sealed record Body(AutoscalerBody? Autoscaler, List<ScalingServer>? Servers, List<ScalingDecision>? Decisions);

    private sealed record AutoscalerBody(double? Saturation, bool? Leading);
}

/// <summary>A <see cref="ScalingStatus"/> and when the bench received it (UTC, the clock the service's decisions use).</summary>
internal sealed record ScalingSample(DateTimeOffset At, ScalingStatus Status);
