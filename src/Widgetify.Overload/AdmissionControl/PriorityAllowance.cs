namespace Widgetify.Overload.AdmissionControl;

/// <summary>How many requests may be in flight when a request of a given priority is admitted without queueing.
/// Lower priorities get a smaller share of the limit, so under load they are the first to queue and be shed, while
/// writes and health probes still find a free slot.</summary>
internal static class PriorityAllowance
{
    // 100 × 0.29 is 28.999999999999996 in binary floating point, yet 29 was meant; a nudge far below one request
    // absorbs that representation error.
    private const double RoundingGuard = 1e-9;

    /// <summary>
    /// Critical: <c>limit + 1</c> when <c>limit &lt; ceiling</c> (a health probe gets through while writes saturate the
    /// limit, but never beyond this instance's connection share), else <c>limit</c>.
    /// Write: <c>limit</c>. Read: <c>max(1, floor(limit × ReadShare))</c>. Background:
    /// <c>max(1, floor(limit × BackgroundShare))</c>. Every allowance is 0 when the limit is 0 (ceiling 0).
    /// </summary>
    public static int For(RequestPriority priority, int limit, int ceiling, double readShare, double backgroundShare)
    {
        if (limit <= 0)
        {
            return 0;
        }

        return priority switch
        {
            RequestPriority.Critical => limit < ceiling ? limit + 1 : limit,
            RequestPriority.Write => limit,
            RequestPriority.Read => Share(limit, readShare),
            _ => Share(limit, backgroundShare),
        };
    }

    private static int Share(int limit, double share) => Math.Max(1, (int)Math.Floor((limit * share) + RoundingGuard));
}
