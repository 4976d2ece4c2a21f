using static Widgetify.PoolReview.Rules.ReviewText;

namespace Widgetify.PoolReview.Rules;

/// <summary>Do the database timeouts agree with the request deadlines they serve? A pool wait longer than every deadline
/// never fires for a request (the deadline ends it first) and only holds background work that long; a deadline longer
/// than the pool wait and command timeout together is a bound the database always beats. A command timeout longer than
/// the deadlines is no finding: it bounds background work, which no deadline covers.</summary>
internal static class TimeoutRules
{
    public static IEnumerable<Finding> Review(ServerSettings primary, RequestDeadlines? deadlines)
    {
        if (deadlines is null)
        {
            yield break; // no admission deadlines (Admission:Mode Static or Off): nothing to agree with
        }

        var longest = deadlines.Longest;
        var longestSetting = deadlines.Write >= deadlines.Read ? "Admission:WriteTimeout" : "Admission:ReadTimeout";
        var longestSeconds = Math.Max(1, (int)Math.Floor(longest.TotalSeconds));
        // Only the pool wait: the command timeout is not judged against the deadlines. A request's commands take its
        // deadline's token, so they end at the deadline whatever the command timeout; the command timeout is the one
        // bound of the work no deadline covers (migrations, the demo import, the review's history, the listener), which
        // may rightly take longer than a request may wait. Recommending the deadline for it (5 s) made every `up` warn
        // about its own 10 s default, and would have cut background work for nothing.
        foreach (var (setting, value, what) in new[]
        {
            ("Database:ConnectTimeoutSeconds", primary.ConnectTimeoutSeconds, "pool wait"),
        })
        {
            if (value > longest.TotalSeconds)
            {
                yield return new Finding(
                    FindingSeverity.Warning, primary.Server, setting, value, longestSeconds,
                    F("A {0} of {1} s is longer than the longest request deadline ({2} {3} s), so a request's deadline always ends " +
                      "it first and only background work ever waits {1} s; {4} s lets the {0} fire for requests too.",
                      what, value, longestSetting, Seconds(longest), longestSeconds));
            }
        }

        var databaseBound = primary.ConnectTimeoutSeconds + primary.CommandTimeoutSeconds;
        foreach (var (setting, deadline) in new[] { ("Admission:ReadTimeout", deadlines.Read), ("Admission:WriteTimeout", deadlines.Write) })
        {
            if (deadline.TotalSeconds > databaseBound)
            {
                yield return new Finding(
                    FindingSeverity.Warning, primary.Server, setting, deadline.TotalSeconds, databaseBound,
                    F("A deadline of {0} s is longer than the pool wait and command timeout together ({1} s + {2} s = {3} s), so the " +
                      "database's timeouts end every such request first and the deadline bounds nothing; {3} s or less.",
                      Seconds(deadline), primary.ConnectTimeoutSeconds, primary.CommandTimeoutSeconds, databaseBound));
            }
        }
    }
}
