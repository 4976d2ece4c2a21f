using System.Net;

namespace Widgetify.Bench.Load;

/// <summary>Builds the requests of the mix against one service. URIs, the key header value and the create body
/// are computed once: <see cref="HttpRequestMessage"/> itself cannot be reused (HttpClient marks it sent), so
/// only the parts that are immutable are shared.</summary>
internal sealed class RequestFactory
{
    // Valid for WidgetInputReader: name 1-100 chars, a known kind, config a JSON object.
    private static readonly byte[] CreateBody = """{"name":"bench","kind":"counter","config":{"label":"storm"}}"""u8.ToArray();

    // Every vote is a new visitor (a viral poll's crowd), so every one is a write; the option rotates.
    private const int OptionsVotedOn = 2;

    private readonly Uri[] embedUris;
    private readonly Uri[] voteUris;
    private readonly Uri[] updateUris;
    private long votes;
    private readonly Uri[] apiUris;
    private readonly Uri listUri;
    private readonly Uri createUri;
    private readonly string authorization;

    /// <param name="baseAddress">The service.</param>
    /// <param name="apiKey">The tenant key of the API requests.</param>
    /// <param name="widgetIds">The widgets embeds and API gets choose from.</param>
    /// <param name="pollIds">The polls votes choose from; none leaves votes out of the mix.</param>
    /// <param name="counterIds">The counters updates replace; none leaves updates out of the mix.</param>
    public RequestFactory(
        Uri baseAddress, string apiKey, IReadOnlyList<Guid> widgetIds, IReadOnlyList<Guid>? pollIds = null, IReadOnlyList<Guid>? counterIds = null)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        ArgumentNullException.ThrowIfNull(widgetIds);
        if (widgetIds.Count == 0)
        {
            throw new ArgumentException("The storm needs at least one widget id to fetch.", nameof(widgetIds));
        }

        embedUris = new Uri[widgetIds.Count];
        apiUris = new Uri[widgetIds.Count];
        for (var i = 0; i < widgetIds.Count; i++)
        {
            embedUris[i] = new Uri(baseAddress, $"/w/{widgetIds[i]}");
            apiUris[i] = new Uri(baseAddress, $"/api/widgets/{widgetIds[i]}");
        }

        voteUris = [.. (pollIds ?? []).Select(id => new Uri(baseAddress, $"/w/{id}/vote"))];
        updateUris = [.. (counterIds ?? []).Select(id => new Uri(baseAddress, $"/api/widgets/{id}"))];
        listUri = new Uri(baseAddress, "/api/widgets?limit=20");
        createUri = new Uri(baseAddress, "/api/widgets");
        authorization = "Bearer " + apiKey;
    }

    /// <summary>Number of widgets the mix chooses from.</summary>
    public int WidgetCount => embedUris.Length;

    /// <summary>Number of polls votes choose from (0: no votes in the mix).</summary>
    public int PollCount => voteUris.Length;

    /// <summary>Number of counters updates choose from (0: no updates in the mix).</summary>
    public int UpdateCount => updateUris.Length;

    public HttpRequestMessage Create(RequestKind kind, int widget)
    {
        HttpRequestMessage request;
        switch (kind)
        {
            case RequestKind.Embed:
                // A visitor's browser: no key.
                return new HttpRequestMessage(HttpMethod.Get, embedUris[widget]) { Version = HttpVersion.Version11 };
            case RequestKind.ApiGet:
                request = new HttpRequestMessage(HttpMethod.Get, apiUris[widget]);
                break;
            case RequestKind.ApiList:
                request = new HttpRequestMessage(HttpMethod.Get, listUri);
                break;
            case RequestKind.Vote:
                // A visitor's form post, asking for JSON (200 with the results) rather than the 303 back to the embed.
                var n = Interlocked.Increment(ref votes);
                var vote = new FormUrlEncodedContent([
                    new("option", (n % OptionsVotedOn).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    new("visitor", "bench-visitor-" + Guid.NewGuid().ToString("N")),
                ]);
                var post = new HttpRequestMessage(HttpMethod.Post, voteUris[widget]) { Content = vote, Version = HttpVersion.Version11 };
                post.Headers.TryAddWithoutValidation("Accept", "application/json");
                return post;
            case RequestKind.ApiUpdate:
                // A replace of a counter by a counter (the kind stays), If-Match: * so that concurrent updates of one
                // widget never conflict (412) and each is a real write.
                var replacement = new ByteArrayContent(CreateBody);
                replacement.Headers.TryAddWithoutValidation("Content-Type", "application/json");
                request = new HttpRequestMessage(HttpMethod.Put, updateUris[widget]) { Content = replacement };
                request.Headers.TryAddWithoutValidation("If-Match", "*");
                break;
            default:
                var content = new ByteArrayContent(CreateBody);
                content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
                request = new HttpRequestMessage(HttpMethod.Post, createUri) { Content = content };
                break;
        }

        request.Version = HttpVersion.Version11;
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return request;
    }
}
