using System.Globalization;
using System.Text;

namespace Widgetify.Cli.Drills;

/// <summary>What a drill measured, from the ledger and the table: the figures issue 13 asks for, and whether they meet
/// the goals (0 lost, 0 duplicated, 0 failed other than 503, recovery within the fault's goal).</summary>
internal sealed record DrillFigures(
    string Fault, int Requests, int Acknowledged, int Shed, int Failed, double UnavailableSeconds, double? RecoverySeconds, int Lost,
    int Duplicated, TimeSpan RecoveryGoal, IReadOnlyList<string> FailureSamples)
{
    /// <summary>The longest an acknowledged write took from the fault on, in seconds: what a fault that slows rather than
    /// stops the service cost the writers that waited.</summary>
    public double SlowestAcknowledgedSeconds { get; init; }

    /// <summary>Writes answered 503 that are in the table all the same: allowed (a 503 promises nothing, and the
    /// Idempotency-Key makes the client's retry find the stored one), shown so that nobody mistakes a 503 for "not
    /// stored".</summary>
    public int ShedButStored { get; init; }

    /// <summary>Writes answered 429 (the key's write rate limit): counted apart from 503s and failures.</summary>
    public int Throttled { get; init; }

    /// <summary>Computes the figures of a ledger whose fault was injected at <paramref name="faultAt"/> and ended at
    /// <paramref name="faultEndedAt"/> (seconds on the ledger's clock; the same for a fault that is over at once, such as
    /// a kill), given what the table holds. Recovery is counted from the end of the fault.</summary>
    /// <param name="fault">The fault's name.</param>
    /// <param name="entries">The ledger.</param>
    /// <param name="faultAt">When the fault was injected.</param>
    /// <param name="faultEndedAt">When it ended.</param>
    /// <param name="lost">Acknowledged writes missing from the table.</param>
    /// <param name="duplicated">Writes stored more than once.</param>
    /// <param name="goal">The recovery goal.</param>
    public static DrillFigures Of(
        string fault, IReadOnlyList<LedgerEntry> entries, double faultAt, double faultEndedAt, int lost, int duplicated, TimeSpan goal)
    {
        var after = entries.Where(e => e.AnsweredAt >= faultAt).OrderBy(e => e.AnsweredAt).ToList();
        // A 429 is the client over its key's limit while the service serves: not unavailability.
        var bad = after.Where(e => e.Outcome is Outcome.Shed or Outcome.Failed).ToList();
        var unavailable = bad.Count == 0 ? 0 : bad[^1].AnsweredAt - bad[0].AnsweredAt;

        // Recovered at the first acknowledged write answered after the last write that was not, counted from the end of
        // the fault (0 when the service was whole again before the fault ended); never, if none came.
        double? recovery = bad.Count == 0
            ? 0
            : after.FirstOrDefault(e => e.Outcome == Outcome.Acknowledged && e.AnsweredAt > bad[^1].AnsweredAt) is { } first
                ? Math.Max(0, first.AnsweredAt - faultEndedAt)
                : null;
        var slowest = after.Where(e => e.Outcome == Outcome.Acknowledged).Select(e => e.AnsweredAt - e.SentAt).DefaultIfEmpty(0).Max();
        var failures = entries.Where(e => e.Outcome == Outcome.Failed)
            .GroupBy(e => e.Error ?? $"HTTP {e.Status}")
            .Select(g => $"{g.Count()} x {g.Key}")
            .Take(5)
            .ToList();
        return new DrillFigures(
            fault, entries.Count, entries.Count(e => e.Outcome == Outcome.Acknowledged), entries.Count(e => e.Outcome == Outcome.Shed),
            entries.Count(e => e.Outcome == Outcome.Failed), unavailable, recovery, lost, duplicated, goal, failures)
        {
            SlowestAcknowledgedSeconds = slowest,
            Throttled = entries.Count(e => e.Outcome == Outcome.Throttled),
        };
    }

    /// <summary>Whether every goal is met.</summary>
    public bool MeetsGoals => Lost == 0 && Duplicated == 0 && Failed == 0 && RecoverySeconds is { } r && r <= RecoveryGoal.TotalSeconds;

    /// <summary>One <c>name: value</c> line per figure, then the goals missed.</summary>
    public string Print()
    {
        var text = new StringBuilder();
        void Line(string name, FormattableString value) => text.Append(name).Append(": ").AppendLine(value.ToString(CultureInfo.InvariantCulture));
        Line("fault", $"{Fault}");
        Line("requests", $"{Requests}");
        Line("acknowledged", $"{Acknowledged}");
        Line("shed_503", $"{Shed}");
        Line("shed_stored", $"{ShedButStored}");
        Line("throttled_429", $"{Throttled}");
        Line("failed", $"{Failed}");
        Line("unavailable_s", $"{UnavailableSeconds:0.0}");
        Line("recovery_s", $"{(RecoverySeconds is { } r ? r.ToString("0.0", CultureInfo.InvariantCulture) : "never")}");
        Line("slowest_ack_s", $"{SlowestAcknowledgedSeconds:0.0}");
        Line("lost", $"{Lost}");
        Line("duplicated", $"{Duplicated}");
        foreach (var sample in FailureSamples)
        {
            Line("failure", $"{sample}");
        }

        var missed = new List<string>();
        if (Lost > 0)
        {
            missed.Add($"{Lost} acknowledged write(s) lost");
        }

        if (Duplicated > 0)
        {
            missed.Add($"{Duplicated} write(s) stored twice");
        }

        if (Failed > 0)
        {
            missed.Add($"{Failed} request(s) failed other than 503");
        }

        if (RecoverySeconds is not { } recovery || recovery > RecoveryGoal.TotalSeconds)
        {
            missed.Add(string.Create(CultureInfo.InvariantCulture, $"recovery not within {RecoveryGoal.TotalSeconds:0} s of the end of the fault"));
        }

        Line("goals", $"{(missed.Count == 0 ? "met" : "missed: " + string.Join("; ", missed))}");
        return text.ToString();
    }
}
