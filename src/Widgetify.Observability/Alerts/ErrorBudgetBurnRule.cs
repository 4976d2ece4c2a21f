namespace Widgetify.Observability.Alerts;

/// <summary>ErrorBudgetBurn: the SRE workbook's multiwindow, multi-burn-rate alert. The burn rate is the bad ratio
/// (5xx and sheds) over the error budget; it pages when the 1 h and the 5 m burn both exceed
/// <see cref="AlertOptions.PageBurnRate"/>, and opens a ticket when the 6 h and the 30 m burn both exceed
/// <see cref="AlertOptions.TicketBurnRate"/>; a page wins. The long window proves the burn is significant, the short one
/// that it is still going on (so the alert resolves minutes after the burn stops, not an hour). Windows read what history
/// exists, and the short window needs <see cref="AlertOptions.BurnMinRequests"/> requests.</summary>
internal sealed class ErrorBudgetBurnRule : AlertRule
{
    /// <summary>The workbook's windows; the history keeps 6 h, the longest.</summary>
    internal static readonly TimeSpan PageLong = TimeSpan.FromHours(1);
    internal static readonly TimeSpan PageShort = TimeSpan.FromMinutes(5);
    internal static readonly TimeSpan TicketLong = TimeSpan.FromHours(6);
    internal static readonly TimeSpan TicketShort = TimeSpan.FromMinutes(30);

    private readonly double _budget;
    private readonly double _pageRate;
    private readonly double _ticketRate;
    private readonly int _minRequests;
    private readonly SlidingSum _pageLong = new(PageLong);
    private readonly SlidingSum _pageShort = new(PageShort);
    private readonly SlidingSum _ticketLong = new(TicketLong);
    private readonly SlidingSum _ticketShort = new(TicketShort);
    private DateTimeOffset _ingestedUpTo = DateTimeOffset.MinValue;

    public ErrorBudgetBurnRule(AlertOptions options, ServiceLevelObjectives slo)
        : base("ErrorBudgetBurn", AlertSeverity.Page, options.BurnFor)
    {
        _budget = slo.ErrorBudget;
        _pageRate = options.PageBurnRate;
        _ticketRate = options.TicketBurnRate;
        _minRequests = options.BurnMinRequests;
    }

    /// <summary>Reads the burn rates, first adding the snapshots newer than the last read: the span must reach back to
    /// the previous evaluation (or 6 h, the first time), as <see cref="AlertEvaluator"/>'s does.</summary>
    public override RuleReading Read(SignalSpan span)
    {
        Ingest(span);
        var burn1h = Burn(_pageLong);
        var burn5m = Burn(_pageShort);
        var burn6h = Burn(_ticketLong);
        var burn30m = Burn(_ticketShort);

        var page = _pageShort.Requests >= _minRequests && burn1h > _pageRate && burn5m > _pageRate;
        var ticket = _ticketShort.Requests >= _minRequests && burn6h > _ticketRate && burn30m > _ticketRate;
        var values = new Dictionary<string, double>
        {
            ["burn_rate_1h"] = burn1h,
            ["burn_rate_5m"] = burn5m,
            ["burn_rate_6h"] = burn6h,
            ["burn_rate_30m"] = burn30m,
            ["page_burn_rate_threshold"] = _pageRate,
            ["ticket_burn_rate_threshold"] = _ticketRate,
            ["error_budget_ratio"] = _budget,
            ["requests_5m"] = _pageShort.Requests,
            ["requests_30m"] = _ticketShort.Requests,
        };

        // A young service's "6 h" is its whole history: say so, or "over 6 h" would claim more evidence than there is.
        var covered = _ticketLong.Covered;
        var history = covered < TicketLong ? $" (history covers {AlertText.Duration(Round(covered))})" : string.Empty;
        var budget = AlertText.Percent(_budget);
        var summary = page
            ? $"Page: the error budget ({budget}) is burning {AlertText.Times(burn1h)} over 1 h and {AlertText.Times(burn5m)} over 5 m, both above {AlertText.Number(_pageRate)}x{history}."
            : ticket
                ? $"Ticket: the error budget ({budget}) is burning {AlertText.Times(burn6h)} over 6 h and {AlertText.Times(burn30m)} over 30 m, both above {AlertText.Number(_ticketRate)}x{history}."
                : $"The error budget ({budget}) is burning {AlertText.Times(burn1h)} over 1 h, {AlertText.Times(burn5m)} over 5 m, {AlertText.Times(burn6h)} over 6 h and " +
                    $"{AlertText.Times(burn30m)} over 30 m{history}: page above {AlertText.Number(_pageRate)}x on 1 h and 5 m, ticket above {AlertText.Number(_ticketRate)}x on 6 h and 30 m, " +
                    $"with at least {_minRequests} requests in the short window.";
        return new RuleReading(page || ticket, page ? AlertSeverity.Page : AlertSeverity.Ticket, summary, values);
    }

    private void Ingest(SignalSpan span)
    {
        foreach (var snapshot in span.Last(TicketLong))
        {
            if (snapshot.At > _ingestedUpTo)
            {
                _pageLong.Add(snapshot);
                _pageShort.Add(snapshot);
                _ticketLong.Add(snapshot);
                _ticketShort.Add(snapshot);
                _ingestedUpTo = snapshot.At;
            }
        }

        _pageLong.Expire(span.Now);
        _pageShort.Expire(span.Now);
        _ticketLong.Expire(span.Now);
        _ticketShort.Expire(span.Now);
    }

    private double Burn(SlidingSum window) => window.BadRatio is { } ratio ? ratio / _budget : 0;

    private static TimeSpan Round(TimeSpan covered) =>
        covered >= TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(Math.Floor(covered.TotalMinutes)) : TimeSpan.FromSeconds(Math.Floor(covered.TotalSeconds));
}
