using System.Text;

namespace Widgetify.Scaling.Providers;

/// <summary>Reads a child process's output to its end, keeping a bounded part: a chatty or runaway command must neither
/// block on a full pipe nor fill the service's memory.</summary>
internal static class OutputCapture
{
    /// <summary>The first <paramref name="maxChars"/> characters; the rest is read and dropped.</summary>
    public static async Task<(string Text, bool Truncated)> HeadAsync(TextReader reader, int maxChars)
    {
        var kept = new StringBuilder();
        var buffer = new char[4096];
        var truncated = false;
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            var room = maxChars - kept.Length;
            kept.Append(buffer, 0, Math.Min(room, read));
            truncated |= read > room;
        }

        return (kept.ToString(), truncated);
    }

    /// <summary>The last <paramref name="maxLines"/> non-empty lines, each cut to <paramref name="maxLineChars"/>: where
    /// a failing command says why.</summary>
    public static async Task<IReadOnlyList<string>> TailAsync(TextReader reader, int maxLines, int maxLineChars)
    {
        var lines = new Queue<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            lines.Enqueue(line.Length > maxLineChars ? line[..maxLineChars] + "…" : line);
            if (lines.Count > maxLines)
            {
                lines.Dequeue();
            }
        }

        return [.. lines];
    }
}
