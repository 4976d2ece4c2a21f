namespace Widgetify.Postgres;

/// <summary>
/// An exclusive lock on a file in the root folder, held while a process decides whether to attach, adopt or
/// start the server. Without it two processes starting at once could both see "no server" and both run pg_ctl.
/// </summary>
internal sealed class StartLock : IDisposable
{
    private readonly FileStream stream;

    private StartLock(FileStream stream)
    {
        this.stream = stream;
    }

    /// <summary>
    /// On Unix .NET backs FileShare.None with flock(LOCK_EX | LOCK_NB), which fails at once when held,
    /// also by another handle in this process; poll until it is free or the timeout passes.
    /// </summary>
    public static async Task<StartLock> AcquireAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new StartLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
            catch (IOException ex)
            {
                throw new TimeoutException(
                    $"Another process kept '{path}' locked for {timeout.TotalSeconds:0} s while starting PostgreSQL.", ex);
            }
        }
    }

    public void Dispose() => stream.Dispose();
}
