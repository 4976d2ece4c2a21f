namespace Widgetify.Overload.PoolGovernance;

/// <summary>What one renewal decides for this instance.</summary>
/// <param name="Target">Its max-min fair share of the budget.</param>
/// <param name="Share">What it may hold from now on: the target, less whatever peers have not given back yet.</param>
/// <param name="Instances">Live instances, this one included.</param>
internal readonly record struct SharePlan(int Target, int Share, int Instances);
