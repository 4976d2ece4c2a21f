namespace Widgetify.Bench.Processes;

/// <summary>The temporary folder a benchmark runs PostgreSQL (and PgBouncer, and the service's data) in.</summary>
internal static class WorkFolder
{
    /// <summary>A new folder under the temp path. When the bench is root, PostgreSQL and PgBouncer run as 'postgres',
    /// which must be able to enter it: it is made 0755 (CreateTempSubdirectory makes it 0700).</summary>
    public static string Create(string prefix)
    {
        var work = Directory.CreateTempSubdirectory(prefix).FullName;
        File.SetUnixFileMode(work, (UnixFileMode)0b111_101_101);
        return work;
    }

    /// <summary>Deletes the folder and all in it; null when done, else why not (the run goes on: it is only disk).</summary>
    public static string? TryDelete(string work)
    {
        try
        {
            Directory.Delete(work, recursive: true);
            return null;
        }
        catch (IOException ex)
        {
            return $"could not delete {work}: {ex.Message}";
        }
    }
}
