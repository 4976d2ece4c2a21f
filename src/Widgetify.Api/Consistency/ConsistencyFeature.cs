using Widgetify.Overload.Routing;

namespace Widgetify.Api.Consistency;

/// <summary>The consistency tokens of one request: the one its client sent back (reads must see that write) and the
/// one its own write produced (sent in the response).</summary>
internal sealed class ConsistencyFeature(ConsistencyToken? requested)
{
    private readonly Lock gate = new();
    private ConsistencyToken? written;

    /// <summary>The token the client sent in <c>Widgetify-Consistency</c>, if any.</summary>
    public ConsistencyToken? Requested { get; } = requested;

    /// <summary>The position after this request's last write, if it wrote.</summary>
    public ConsistencyToken? Written
    {
        get
        {
            lock (gate)
            {
                return written;
            }
        }
    }

    /// <summary>Records a write's position; with several writes the latest one counts.</summary>
    public void RecordWrite(ConsistencyToken token)
    {
        lock (gate)
        {
            written = written is { } earlier ? earlier.Max(token) : token;
        }
    }

    /// <summary>The request's feature, if the middleware ran (not for background work or the CLI).</summary>
    public static ConsistencyFeature? Of(HttpContext? context) => context?.Features.Get<ConsistencyFeature>();
}
