namespace Widgetify.PoolReview.Rules;

/// <summary>The pool settings review (issue 12): a pure function from the gathered inputs to findings, so the CLI and
/// the service run the same rules and the rules are tested on recorded inputs without a server.</summary>
public static class SettingsReview
{
    /// <summary>Reviews <paramref name="input"/>.</summary>
    /// <param name="input">The settings, live facts and history of every server.</param>
    /// <returns>The findings, most severe first, then in server order.</returns>
    public static ReviewReport Review(ReviewInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(input.Instances, 1);
        var findings = new List<(int Order, Finding Finding)>();
        for (var i = 0; i < input.Servers.Count; i++)
        {
            var server = input.Servers[i];
            var order = i;
            findings.AddRange(PoolSizeRules.Capacity(server, input.Instances, input.InstancesSource).Select(f => (order, f)));
            findings.AddRange(PoolSizeRules.FromHistory(server, input.Instances).Select(f => (order, f)));
            findings.AddRange(ServerParameterRules.Review(server).Select(f => (order, f)));
            if (server.Settings.IsPrimary)
            {
                findings.AddRange(TimeoutRules.Review(server.Settings, input.Deadlines).Select(f => (order, f)));
            }
        }

        var ordered = findings
            .OrderByDescending(f => f.Finding.Severity)
            .ThenBy(f => f.Order)
            .Select(f => f.Finding)
            .ToList();
        return new ReviewReport(input.GeneratedAt, input.Instances, input.Servers, ordered);
    }
}
