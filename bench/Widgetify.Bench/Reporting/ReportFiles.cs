namespace Widgetify.Bench.Reporting;

/// <summary>Writes a benchmark's three files (<c>name.md</c>, <c>name.json</c>, <c>name.svg</c>) and prints the Markdown.</summary>
internal static class ReportFiles
{
    /// <returns>The sentence that says what was written where.</returns>
    public static async Task<string> WriteAsync(
        string directory, string name, string markdown, string json, string svg, TextWriter console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(console);
        await File.WriteAllTextAsync(Path.Combine(directory, name + ".md"), markdown, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, name + ".json"), json, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, name + ".svg"), svg, cancellationToken);
        await console.WriteLineAsync();
        await console.WriteLineAsync(markdown);
        return $"wrote {name}.md, {name}.json and {name}.svg to {directory}";
    }
}
