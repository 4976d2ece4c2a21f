using System.Globalization;
using Widgetify.Observability.Signals;

namespace Widgetify.Incidents.Timeline;

/// <summary>Reads what the service did to protect itself from consecutive snapshots: shedding engaged or stopped, the
/// admission limit moved by 20% or more, the connection share changed, a queue started building. At most one entry
/// per kind per <see cref="Cooldown"/>, so a limit that oscillates does not flood the timeline.</summary>
internal sealed class AutomaticActions
{
    /// <summary>The least time between two entries of one kind.</summary>
    internal static readonly TimeSpan Cooldown = TimeSpan.FromSeconds(5);

    /// <summary>Seconds without sheds before shedding counts as stopped (one quiet second is just a lull).</summary>
    internal static readonly TimeSpan ShedQuiet = TimeSpan.FromSeconds(3);

    /// <summary>The relative change of the admission limit worth an entry.</summary>
    internal const double LimitChange = 0.2;

    private readonly Dictionary<string, DateTimeOffset> _lastEntry = new(StringComparer.Ordinal);
    private double? _limit;
    private long? _share;
    private bool _shedding;
    private bool _queueing;
    private DateTimeOffset _shedSince;
    private long _shedTotal;
    private TimeSpan _quiet;

    /// <summary>Starts from the state before the impact, so the first changes during it are recorded.</summary>
    public void Seed(SignalSnapshot? before)
    {
        if (before is null)
        {
            return;
        }

        _limit = before.AdmissionLimit;
        _share = before.ConnectionShare;
        _shedding = before.Shed > 0;
        _queueing = before.AdmissionQueued > 0;
        _shedSince = before.At;
    }

    public IEnumerable<IncidentEvent> Observe(SignalSnapshot s)
    {
        var entries = new List<IncidentEvent>();
        Shedding(s, entries);
        Limit(s, entries);
        Share(s, entries);
        Queue(s, entries);
        return entries;
    }

    private void Shedding(SignalSnapshot s, List<IncidentEvent> entries)
    {
        if (!_shedding && s.Shed > 0)
        {
            _shedding = true;
            _shedSince = s.At;
            _shedTotal = s.Shed;
            _quiet = TimeSpan.Zero;
            Add(entries, "shed", s.At, Format($"Shedding engaged: {s.Shed:N0} of {s.Requests:N0} requests shed ({Percent(s.Shed, s.Requests)}), admission limit {s.AdmissionLimit:0.#}, {s.AdmissionQueued:N0} queued."),
                new() { ["shed"] = s.Shed, ["requests"] = s.Requests, ["admissionLimit"] = s.AdmissionLimit, ["queued"] = s.AdmissionQueued });
            return;
        }

        if (!_shedding)
        {
            return;
        }

        _shedTotal += s.Shed;
        _quiet = s.Shed == 0 ? _quiet + s.Interval : TimeSpan.Zero;
        if (_quiet >= ShedQuiet)
        {
            _shedding = false;
            var lasted = s.At - _quiet - _shedSince + s.Interval;
            Add(entries, "shed", s.At - _quiet + s.Interval, Format($"Shedding stopped after {lasted.TotalSeconds:0} s: {_shedTotal:N0} requests shed in all."),
                new() { ["shedTotal"] = _shedTotal, ["seconds"] = lasted.TotalSeconds });
        }
    }

    private void Limit(SignalSnapshot s, List<IncidentEvent> entries)
    {
        if (_limit is not { } old || old <= 0)
        {
            _limit = s.AdmissionLimit;
            return;
        }

        var change = (s.AdmissionLimit - old) / old;
        if (Math.Abs(change) >= LimitChange && Add(entries, "limit", s.At,
            Format($"Admission limit {(change < 0 ? "lowered" : "raised")} {old:0.#} -> {s.AdmissionLimit:0.#} ({change:+0%;-0%}): {s.AdmissionInFlight:N0} in flight, {s.AdmissionQueued:N0} queued."),
            new() { ["old"] = old, ["new"] = s.AdmissionLimit, ["inFlight"] = s.AdmissionInFlight, ["queued"] = s.AdmissionQueued }))
        {
            _limit = s.AdmissionLimit;
        }
    }

    private void Share(SignalSnapshot s, List<IncidentEvent> entries)
    {
        if (_share is not { } old)
        {
            _share = s.ConnectionShare;
            return;
        }

        var budget = s.ConnectionBudget is { } b ? b.ToString(CultureInfo.InvariantCulture) : "unknown";
        if (s.ConnectionShare != old && Add(entries, "share", s.At,
            Format($"Connection share changed {old} -> {s.ConnectionShare} (fleet budget {budget}); {s.PoolUsed} in use, {s.PoolPending} waiting."),
            new() { ["old"] = old, ["new"] = s.ConnectionShare, ["used"] = s.PoolUsed, ["pending"] = s.PoolPending }))
        {
            _share = s.ConnectionShare;
        }
    }

    private void Queue(SignalSnapshot s, List<IncidentEvent> entries)
    {
        if (s.AdmissionQueued == 0)
        {
            _queueing = false;
            return;
        }

        if (!_queueing && Add(entries, "queue", s.At,
            Format($"Admission queue building: {s.AdmissionQueued:N0} requests waiting (limit {s.AdmissionLimit:0.#}, {s.AdmissionInFlight:N0} in flight)."),
            new() { ["queued"] = s.AdmissionQueued, ["admissionLimit"] = s.AdmissionLimit, ["inFlight"] = s.AdmissionInFlight }))
        {
            _queueing = true;
        }
    }

    private bool Add(List<IncidentEvent> entries, string kind, DateTimeOffset at, string message, Dictionary<string, double> values)
    {
        if (_lastEntry.TryGetValue(kind, out var last) && at - last < Cooldown)
        {
            return false;
        }

        _lastEntry[kind] = at;
        entries.Add(new IncidentEvent { Id = Guid.CreateVersion7(at), At = at, Kind = IncidentEventKind.AutomaticAction, Message = message, Values = values });
        return true;
    }

    private static string Percent(long part, long whole) =>
        whole == 0 ? "0%" : ((double)part / whole).ToString("0.0%", CultureInfo.InvariantCulture);

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
