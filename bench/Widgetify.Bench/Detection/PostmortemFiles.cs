namespace Widgetify.Bench.Detection;

/// <summary>Finds the postmortem draft the service wrote when an incident resolved, and copies it next to the report
/// (the service's data folder lives in the bench's temporary work folder, which is deleted after the run).</summary>
internal static class PostmortemFiles
{
    /// <summary>The draft of <paramref name="incident"/> on disk: the path the service reported if that file exists;
    /// failing that (the path is stored a flush after the file is written), a <c>.md</c> in
    /// <paramref name="directory"/> named with the incident's id prefix and written no earlier than its resolution.</summary>
    /// <returns>The draft's full path, or null when there is none (yet).</returns>
    public static string? Find(PolledIncident incident, string? directory)
    {
        ArgumentNullException.ThrowIfNull(incident);
        if (!string.IsNullOrEmpty(incident.Postmortem))
        {
            var reported = directory is null ? Path.GetFullPath(incident.Postmortem) : Path.GetFullPath(incident.Postmortem, directory);
            if (File.Exists(reported))
            {
                return reported;
            }
        }

        if (directory is null || !Directory.Exists(directory) || incident.ResolvedAt is not { } resolved)
        {
            return null;
        }

        // UUIDv7 prefixes are time-based and two incidents a minute apart can share one: the write time tells them apart.
        var prefix = DetectionTracker.Prefix(incident.Id);
        var notBefore = resolved.UtcDateTime.AddSeconds(-1);
        return new DirectoryInfo(directory)
            .EnumerateFiles("*.md")
            .Where(f => f.Name.Contains(prefix, StringComparison.OrdinalIgnoreCase) && f.LastWriteTimeUtc >= notBefore)
            .OrderBy(f => f.LastWriteTimeUtc)
            .Select(f => f.FullName)
            .FirstOrDefault();
    }

    /// <summary>Copies the draft and the files beside it that share its name (its chart) into
    /// <c>&lt;output&gt;/postmortems/</c>.</summary>
    /// <returns>The draft's copy, relative to <paramref name="outputDirectory"/>.</returns>
    public static string CopyToOutput(string draft, string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var target = Path.Combine(outputDirectory, "postmortems");
        Directory.CreateDirectory(target);
        var stem = Path.GetFileNameWithoutExtension(draft);
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(draft)!, stem + "*"))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }

        return Path.Combine("postmortems", Path.GetFileName(draft));
    }
}
