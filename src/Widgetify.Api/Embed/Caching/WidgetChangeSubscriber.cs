using System.Globalization;
using Widgetify.Api.Notifications;

namespace Widgetify.Api.Embed.Caching;

/// <summary>Tells the <see cref="EmbedCache"/> what changed anywhere in the fleet, from migration 0006's triggers:
/// <c>widgetify_widgets</c> carries <c>&lt;id&gt;:&lt;version&gt;</c> or <c>&lt;id&gt;:deleted</c> for every insert, edit and
/// delete by any writer; <c>widgetify_poll_votes</c> lists the polls a committed vote batch counted votes on
/// (comma-separated, one notification per batch). Every (re)connect of the listener empties the cache.</summary>
internal sealed class WidgetChangeSubscriber(EmbedCache cache) : INotificationSubscriber
{
    public const string WidgetsChannel = "widgetify_widgets";
    public const string VotesChannel = "widgetify_poll_votes";

    public IReadOnlyCollection<string> Channels { get; } = [WidgetsChannel, VotesChannel];

    public void OnListening() => cache.ForgetAll();

    public void OnNotification(string channel, string payload)
    {
        if (channel == VotesChannel)
        {
            foreach (var part in payload.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (Guid.TryParse(part, out var pollId))
                {
                    cache.Invalidate(pollId, null, "votes");
                }
            }

            return;
        }

        var colon = payload.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && Guid.TryParse(payload.AsSpan(0, colon), out var id))
        {
            var rest = payload.AsSpan(colon + 1);
            if (rest.SequenceEqual("deleted"))
            {
                cache.Invalidate(id, VersionFloors.Deleted, "change");
                return;
            }

            if (int.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                cache.Invalidate(id, version, "change");
                return;
            }
        }

        cache.ForgetAll(); // a payload from a newer schema we do not understand: the safe answer is to forget
    }
}
