using System.Globalization;
using System.Text.Json;

namespace Widgetify.Incidents.Spool;

/// <summary>The file (<see cref="IncidentOptions.SpoolFile"/>) that keeps the incident writes still waiting for the
/// database when the service stops, for the next start to deliver. Written whole or not at all (a temporary file renamed
/// into place), readable by the service's account alone (0600: timelines name clients' impact and the service's
/// settings), versioned; a file that cannot be read is moved aside with a timestamp, never half delivered.</summary>
internal sealed class IncidentSpool
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the spool at <paramref name="path"/> (relative to the working directory when not absolute).</summary>
    public IncidentSpool(string path, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        _timeProvider = timeProvider;
    }

    public string Path { get; }

    /// <summary>Replaces the file with <paramref name="batches"/>; creates its folder when missing.</summary>
    /// <exception cref="IOException">The folder or file cannot be written (full disk, read-only, a directory in the way).</exception>
    /// <exception cref="UnauthorizedAccessException">The service may not write there.</exception>
    public void Write(string writtenBy, IReadOnlyList<SpooledBatch> batches)
    {
        var document = new SpoolDocument
        {
            Version = SpoolDocument.CurrentVersion,
            WrittenAt = _timeProvider.GetUtcNow(),
            WrittenBy = writtenBy,
            Sections = [.. batches.Select(SpoolMapping.ToSection)],
        };
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory);
        var temporary = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnly;
            }

            using (var stream = new FileStream(temporary, options))
            {
                JsonSerializer.Serialize(stream, document, SpoolJsonContext.Default.SpoolDocument);
                // On disk before the rename: after a power cut the name must not point at an empty file.
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, OwnerOnly); // UnixCreateMode applies only to a new file
            }

            File.Move(temporary, Path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Reads the file.</summary>
    /// <returns>What it holds, oldest first; null when there is no file.</returns>
    /// <exception cref="InvalidDataException">It is not a spool, of another version, or incomplete; the message says which.</exception>
    /// <exception cref="IOException">It cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The service may not read it.</exception>
    public IReadOnlyList<SpooledBatch>? Load()
    {
        byte[] json;
        try
        {
            json = File.ReadAllBytes(Path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        int version;
        try
        {
            version = SpoolJsonContext.ReadVersion(json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"it is not a spool file ({ex.Message})", ex);
        }

        if (version != SpoolDocument.CurrentVersion)
        {
            throw new InvalidDataException(version > SpoolDocument.CurrentVersion
                ? $"it is version {version}, written by a newer Widgetify; this one reads version {SpoolDocument.CurrentVersion}"
                : $"it is version {version}; this one reads version {SpoolDocument.CurrentVersion}");
        }

        SpoolDocument document;
        try
        {
            document = JsonSerializer.Deserialize(json, SpoolJsonContext.Default.SpoolDocument) ?? throw new JsonException("it is null");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"it is not a complete version-{version} spool ({ex.Message})", ex);
        }

        return [.. document.Sections.Select(SpoolMapping.ToBatch)];
    }

    /// <summary>Renames the file to <c>&lt;file&gt;.&lt;why&gt;-&lt;UTC time&gt;</c>, beside it, for an operator to inspect.</summary>
    /// <param name="why">One word: <c>unreadable</c>, <c>refused</c>.</param>
    /// <returns>The new path.</returns>
    public string MoveAside(string why)
    {
        var stamp = _timeProvider.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var aside = $"{Path}.{why}-{stamp}";
        for (var n = 2; File.Exists(aside); n++)
        {
            aside = $"{Path}.{why}-{stamp}-{n}";
        }

        File.Move(Path, aside);
        return aside;
    }

    /// <summary>Deletes the file (nothing when there is none).</summary>
    public void Delete() => File.Delete(Path);
}
