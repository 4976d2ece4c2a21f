using Widgetify.Bench.Load;

namespace Widgetify.Bench.Storm;

/// <summary>What kind of traffic one storm is made of. Each shape is its own storm, so that what one kind of
/// traffic does is not hidden in a mix (issue 15).</summary>
internal enum StormShape
{
    /// <summary><c>GET /w/{id}</c> of one popular widget: the case a cache of rendered widgets is for.</summary>
    Hot = 0,

    /// <summary><c>GET /w/{id}</c> uniformly over every widget (20,000 by default): cache misses, database-bound.</summary>
    Random = 1,

    /// <summary><c>GET /api/widgets?limit=20</c> with the key.</summary>
    List = 2,

    /// <summary>Writes with the key, plus votes: 35% <c>POST /api/widgets</c>, 35% <c>PUT /api/widgets/{id}</c>, 30% votes.</summary>
    Writes = 3,

    /// <summary>The storm's historical mix (75% embeds over the first 2,000 widgets, 10% API gets, 5% list, 5% votes, 5% creates).</summary>
    Mixed = 4,
}

/// <summary>The request factory and mix of each <see cref="StormShape"/>, and the parsing of <c>--shapes</c>.</summary>
internal static class StormShapes
{
    /// <summary>Widgets the mixed shape chooses from: as many as the storm had before the shapes, so its figures stay comparable.</summary>
    public const int MixedWidgets = 2000;

    public static IReadOnlyList<StormShape> All { get; } = Enum.GetValues<StormShape>();

    /// <summary>The shape's name on the command line and in the report.</summary>
    public static string Name(StormShape shape) => shape.ToString().ToLowerInvariant();

    /// <summary>What the shape sends, for the report.</summary>
    public static string Describe(StormShape shape, int widgets) => shape switch
    {
        StormShape.Hot => "GET /w/{id} of one widget",
        StormShape.Random => $"GET /w/{{id}} uniformly over {widgets:N0} widgets",
        StormShape.List => "GET /api/widgets?limit=20 with the key",
        StormShape.Writes => "35% POST /api/widgets, 35% PUT /api/widgets/{id} (a counter, If-Match: *), 30% POST /w/{id}/vote (a new visitor each)",
        _ => $"75% GET /w/{{id}} over {Math.Min(widgets, MixedWidgets):N0} widgets, 10% GET /api/widgets/{{id}}, 5% list, 5% votes, 5% POST /api/widgets",
    };

    /// <summary>The shape's percentages; what they leave of 100 is creates.</summary>
    public static RequestWeights Weights(StormShape shape) => shape switch
    {
        StormShape.Hot or StormShape.Random => new RequestWeights(100, 0, 0),
        StormShape.List => new RequestWeights(0, 0, 100),
        StormShape.Writes => new RequestWeights(0, 0, 0, Vote: 30, Update: 35),
        _ => RequestWeights.Storm,
    };

    /// <summary>The request factory of <paramref name="shape"/> against one service: the widgets its embeds choose
    /// from (one for <see cref="StormShape.Hot"/>, all for <see cref="StormShape.Random"/>), and the polls and
    /// counters its writes go to.</summary>
    public static RequestFactory Factory(
        StormShape shape, Uri baseAddress, string apiKey, IReadOnlyList<Guid> widgetIds, IReadOnlyList<Guid> pollIds, IReadOnlyList<Guid> counterIds)
    {
        ArgumentNullException.ThrowIfNull(widgetIds);
        IReadOnlyList<Guid> embeds = shape switch
        {
            StormShape.Hot => [.. widgetIds.Take(1)],
            StormShape.Random => widgetIds,
            _ => [.. widgetIds.Take(MixedWidgets)],
        };
        return new RequestFactory(
            baseAddress, apiKey, embeds,
            shape is StormShape.Writes or StormShape.Mixed ? pollIds : [],
            shape is StormShape.Writes ? counterIds : []);
    }

    /// <summary>Parses "hot,random" (names, case-insensitive) into distinct shapes in their canonical order.</summary>
    public static bool TryParse(string? text, out IReadOnlyList<StormShape> shapes)
    {
        var parsed = new SortedSet<StormShape>();
        shapes = [];
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(part, out _) || !Enum.TryParse<StormShape>(part, ignoreCase: true, out var shape) || !Enum.IsDefined(shape))
            {
                return false;
            }

            parsed.Add(shape);
        }

        shapes = [.. parsed];
        return parsed.Count > 0;
    }
}
