namespace Widgetify.Overload.PoolGovernance;

/// <summary>Max-min fair division of connections (water-filling): nobody gets more than it wants, and what a
/// small want leaves over is split evenly among the larger ones.</summary>
internal static class FairShare
{
    /// <summary>Splits <paramref name="capacity"/> over <paramref name="wants"/>.</summary>
    /// <param name="capacity">Connections to divide; zero or less gives everyone 0.</param>
    /// <param name="wants">What each participant asks for, in an order every instance agrees on.</param>
    /// <returns>One share per want, same order; each at most its want, summing to at most the capacity.</returns>
    public static int[] Allocate(int capacity, IReadOnlyList<int> wants)
    {
        ArgumentNullException.ThrowIfNull(wants);
        var shares = new int[wants.Count];
        if (capacity <= 0 || wants.Count == 0)
        {
            return shares;
        }

        // Smallest wants first: each one fully met leaves a larger equal split for the rest.
        var order = Enumerable.Range(0, wants.Count).OrderBy(i => wants[i]).ThenBy(i => i).ToArray();
        var remaining = capacity;
        for (var k = 0; k < order.Length; k++)
        {
            var left = order.Length - k;
            var want = Math.Max(0, wants[order[k]]);
            if (want <= remaining / left)
            {
                shares[order[k]] = want;
                remaining -= want;
                continue;
            }

            // Everyone left wants more than an equal split, so each gets it. The remainder goes to the lowest
            // positions: every instance computes the same order, so they all agree on who gets the extra one.
            var rest = order[k..];
            Array.Sort(rest);
            for (var j = 0; j < rest.Length; j++)
            {
                shares[rest[j]] = (remaining / left) + (j < remaining % left ? 1 : 0);
            }

            break;
        }

        return shares;
    }
}
