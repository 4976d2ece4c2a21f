using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Widgetify.Postgres.Standbys;

/// <summary>
/// The numbered standbys (<c>standby-1</c>, <c>standby-2</c>, ...) of a local primary, in
/// <c>&lt;primary's DataDirectory&gt;/standbys/</c>: found on disk, reused, made, removed. One standby's failure is
/// reported with its reason and never stops the others or the primary. Operations run one at a time.
/// Dispose (or <see cref="StopAllAsync"/>) stops the standbys this set started; stop them before the primary.
/// </summary>
public sealed class LocalStandbys : IAsyncDisposable
{
    private readonly PostgresCluster primary;
    private readonly StandbyOptions options;
    private readonly ILogger logger;
    private readonly SemaphoreSlim gate = new(1, 1);
    private readonly SemaphoreSlim synchronousGate = new(1, 1);
    private string? synchronousNames;
    private readonly SortedDictionary<int, PostgresStandby> running = [];

    /// <summary>A set for <paramref name="primary"/>; nothing is started until <see cref="EnsureAsync"/> or <see cref="AddAsync"/>.</summary>
    /// <param name="primary">The running primary the standbys copy and follow.</param>
    /// <param name="options">Timeouts; <see cref="StandbyOptions.Port"/> must be null (each standby gets a free port).</param>
    /// <param name="logger">Receives every standby's events and failures; none when null.</param>
    public LocalStandbys(PostgresCluster primary, StandbyOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(primary);
        this.options = (options ?? new StandbyOptions()).ValidatedCopy(nameof(options));
        if (this.options.Port is not null)
        {
            throw new ArgumentException("LocalStandbys gives each standby its own free port; leave StandbyOptions.Port null.", nameof(options));
        }

        this.primary = primary;
        this.logger = logger ?? NullLogger.Instance;
        StandbysDirectory = Path.Combine(primary.DataDirectory, StandbyNames.FolderName);
    }

    /// <summary>The folder holding one folder per standby: <c>&lt;primary's DataDirectory&gt;/standbys</c>.</summary>
    public string StandbysDirectory { get; }

    /// <summary>The standbys this set has up, by number: a snapshot.</summary>
    public IReadOnlyList<PostgresStandby> Standbys
    {
        get
        {
            lock (running)
            {
                return [.. running.Values];
            }
        }
    }

    /// <summary>
    /// Brings the set to <paramref name="count"/> streaming standbys: the lowest-numbered ones on disk are reused
    /// (started, attached to, or restarted after a crash), missing ones are made with the next free numbers, and
    /// the ones on disk beyond <paramref name="count"/> are removed with their slots, since a standby left stopped
    /// would keep WAL and old rows on the primary through its slot. Unused slots of standbys whose folder is gone
    /// are dropped for the same reason. Each standby is waited for until it streams
    /// (<see cref="StandbyOptions.StreamingTimeout"/>).
    /// </summary>
    /// <param name="count">How many standbys to run; 0 removes them all.</param>
    /// <param name="cancellationToken">Cancels the work; a command in progress is killed.</param>
    /// <returns>The standbys that stream, each failure with its reason, and the standbys removed.</returns>
    public async Task<StandbyOutcome> EnsureAsync(int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        await gate.WaitAsync(cancellationToken);
        try
        {
            await DropOrphanSlotsAsync(cancellationToken);
            var onDisk = NumbersOnDisk();
            List<StandbyFailure> failures = [];
            List<string> removed = [];
            foreach (var extra in onDisk.Skip(count).Reverse())
            {
                var name = StandbyNames.Numbered(extra);
                StandbyLog.Removing(logger, name, $"{count} standbys asked for", StandbyNames.RootOf(primary.DataDirectory, name));
                await RecordFailureAsync(failures, name, async () =>
                {
                    await RemoveCoreAsync(extra, cancellationToken);
                    removed.Add(name);
                });
            }

            List<int> tried = [.. onDisk.Take(count)];
            while (tried.Count < count)
            {
                tried.Add(NextFreeNumber(tried));
            }

            foreach (var number in tried)
            {
                await RecordFailureAsync(failures, StandbyNames.Numbered(number), () => BringUpAsync(number, cancellationToken));
            }

            await ReconcileSynchronousNamesAsync(cancellationToken);
            return new StandbyOutcome(Standbys, failures, removed);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Makes one more standby with the next free number and waits until it streams.</summary>
    /// <param name="cancellationToken">Cancels the work; a command in progress is killed.</param>
    /// <returns>The new standby.</returns>
    /// <exception cref="StandbyException">It could not be made, started or brought to streaming; the message says why.</exception>
    public async Task<PostgresStandby> AddAsync(CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            var number = NextFreeNumber([]);
            try
            {
                var added = await BringUpAsync(number, cancellationToken);
                await ReconcileSynchronousNamesAsync(cancellationToken);
                return added;
            }
            catch (StandbyException ex)
            {
                StandbyLog.Failed(logger, StandbyNames.Numbered(number), ex.Message);
                throw;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Removes a standby (scale-in): stops it, drops its slot on the primary, deletes its folder. A name with no
    /// folder only loses its leftover slot, if any.
    /// </summary>
    /// <param name="name">The standby, such as <c>standby-2</c>.</param>
    /// <param name="cancellationToken">Cancels the removal.</param>
    /// <returns>A task that completes when the standby is gone.</returns>
    /// <exception cref="StandbyException">Another live process owns the standby's server.</exception>
    public async Task RemoveAsync(string name, CancellationToken cancellationToken = default)
    {
        var number = StandbyNames.NumberOf(name)
            ?? throw new ArgumentException($"'{name}' is not the name of a standby of this set (standby-1, standby-2, ...).", nameof(name));
        await gate.WaitAsync(cancellationToken);
        try
        {
            StandbyLog.Removing(logger, name, "asked for", StandbyNames.RootOf(primary.DataDirectory, name));
            await ReconcileWithoutAsync(name, cancellationToken);
            await RemoveCoreAsync(number, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Stops every standby this set started (their folders and slots stay, for the next <see cref="EnsureAsync"/>).</summary>
    /// <param name="cancellationToken">Cancels waiting for the stops.</param>
    /// <returns>A task that completes when all have stopped.</returns>
    /// <exception cref="AggregateException">Some could not be stopped; the others were.</exception>
    public async Task StopAllAsync(CancellationToken cancellationToken = default)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            List<Exception> errors = [];
            foreach (var standby in Standbys)
            {
                try
                {
                    await standby.StopAsync(cancellationToken);
                }
                catch (InvalidOperationException ex)
                {
                    errors.Add(ex);
                }
            }

            lock (running)
            {
                running.Clear();
            }

            if (errors.Count > 0)
            {
                throw new AggregateException("Some standbys could not be stopped.", errors);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Same as <see cref="StopAllAsync"/>.</summary>
    /// <returns>A task that completes when all have stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await StopAllAsync();
        gate.Dispose();
    }

    /// <summary>
    /// Puts the most advanced standby in the place of a primary whose data is gone (issue 13): the lost postmaster and
    /// its backends are killed, the standby that received the most WAL is promoted, stopped, moved into the primary's
    /// data folder and started on the primary's port (so every client's connection string stays right, and the next
    /// <c>up</c> finds the primary where it always was), and every other standby is made again from it, since they
    /// followed the old primary's timeline through slots the new one does not have.
    /// </summary>
    /// <param name="cancellationToken">Cancels the work; what is done stays done.</param>
    /// <returns>Which standby was promoted, the WAL positions compared, and the standbys made again or failed.</returns>
    /// <exception cref="InvalidOperationException">No standby runs, or the promotion or start failed.</exception>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    internal async Task<FailoverResult> PromoteIntoPrimaryAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            var positions = new List<(PostgresStandby Standby, long Received)>();
            foreach (var standby in Standbys.Where(s => s.IsRunning))
            {
                try
                {
                    await using var connection = new NpgsqlConnection(ClusterDatabase.Unpooled(standby.AdminConnectionString));
                    await connection.OpenAsync(cancellationToken);
                    await using var command = new NpgsqlCommand(
                        "SELECT pg_wal_lsn_diff(COALESCE(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), '0/0')::bigint", connection);
                    positions.Add((standby, (long)(await command.ExecuteScalarAsync(cancellationToken))!));
                }
                catch (NpgsqlException ex)
                {
                    StandbyLog.Failed(logger, standby.Name, $"not considered for promotion: {ex.Message}");
                }
            }

            if (positions.Count == 0)
            {
                throw new InvalidOperationException("The primary's data is gone and no standby answers: nothing to promote. Restore from a backup.");
            }

            var (chosen, received) = positions.MaxBy(p => p.Received);
            primary.Server.KillLostServer();
            await chosen.Server.PromoteAsync(cancellationToken);
            await chosen.StopAsync(cancellationToken);
            Forget(StandbyNames.NumberOf(chosen.Name)!.Value);

            // Into the primary's folder. What is left of the lost one is renamed away first (atomic, whatever is still
            // deleting inside it, such as the rm -rf that lost it), then removed as far as it can be.
            var target = primary.Layout.PgData;
            if (Directory.Exists(target))
            {
                var remains = $"{target}.lost-{DateTime.UtcNow:yyyyMMddHHmmss}";
                Directory.Move(target, remains);
                try
                {
                    Directory.Delete(remains, recursive: true);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    StandbyLog.Failed(logger, chosen.Name, $"the lost primary's remains in '{remains}' could not all be deleted ({ex.Message}); delete them by hand");
                }
            }

            Directory.Move(chosen.Layout.PgData, target);
            await StripStandbySettingsAsync(target, cancellationToken);
            Directory.Delete(chosen.Layout.Root, recursive: true);
            if (await primary.Server.RecoverAsync(cancellationToken) != ServerHandle.Recovery.Restarted)
            {
                throw new InvalidOperationException($"The promoted standby {chosen.Name} could not be started in the primary's place ('{target}').");
            }

            // The promoted copy carried the old primary's synchronous_standby_names: until the others are made again, no
            // standby streams, and commits must not wait for one.
            synchronousNames = null;
            await ReconcileSynchronousNamesAsync(cancellationToken);
            var rebuilt = new List<PostgresStandby>();
            var failures = new List<StandbyFailure>();
            foreach (var (other, _) in positions.Where(p => p.Standby != chosen))
            {
                var number = StandbyNames.NumberOf(other.Name)!.Value;
                await RecordFailureAsync(failures, other.Name, async () =>
                {
                    await RemoveCoreAsync(number, cancellationToken);
                    rebuilt.Add(await BringUpAsync(number, cancellationToken));
                });
            }

            await ReconcileSynchronousNamesAsync(cancellationToken);
            return new FailoverResult(chosen.Name, received, [.. positions.Where(p => p.Standby != chosen).Select(p => (p.Standby.Name, received - p.Received))], rebuilt, failures);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>With <see cref="StandbyOptions.Synchronous"/>, points the primary's <c>synchronous_standby_names</c> at the
    /// standbys running now (any one of them acknowledges a commit), or clears it when none runs, so that commits never
    /// block on a standby that is gone; nothing when the names are already right. Called after every change of the set
    /// and by the supervisor at each check.</summary>
    /// <param name="cancellationToken">Cancels the change.</param>
    /// <returns>The value set now; null when nothing changed.</returns>
    public async Task<string?> ReconcileSynchronousNamesAsync(CancellationToken cancellationToken = default)
    {
        if (!options.Synchronous)
        {
            return null;
        }

        await synchronousGate.WaitAsync(cancellationToken);
        try
        {
            // Only standbys that stream from this primary now can acknowledge a commit: one that runs but follows nobody
            // (just promoted away from, or lost its slot) would make every commit wait.
            await using var connection = new NpgsqlConnection(ClusterDatabase.Unpooled(primary.AdminConnectionString));
            await connection.OpenAsync(cancellationToken);
            var streaming = new HashSet<string>(StringComparer.Ordinal);
            await using (var read = new NpgsqlCommand("SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'", connection))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    streaming.Add(reader.GetString(0));
                }
            }

            var names = Standbys.Where(s => s.IsRunning && streaming.Contains(s.Name)).Select(s => s.Name).Order(StringComparer.Ordinal).ToList();
            var value = names.Count == 0 ? "" : $"ANY 1 ({string.Join(", ", names.Select(n => $"\"{n}\""))})";
            if (value == synchronousNames)
            {
                return null;
            }

            if (synchronousNames is null)
            {
                // Commits in the app's database wait until a synchronous standby has applied them: no acknowledged write
                // is lost with the primary, and a read on that standby after the commit sees it.
                await using var commit = new NpgsqlCommand($"ALTER DATABASE {ClusterDatabase.AppDatabase} SET synchronous_commit = 'remote_apply'", connection);
                await commit.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var set = new NpgsqlCommand($"ALTER SYSTEM SET synchronous_standby_names = '{value}'", connection))
            {
                await set.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var reload = new NpgsqlCommand("SELECT pg_reload_conf()", connection))
            {
                await reload.ExecuteNonQueryAsync(cancellationToken);
            }

            synchronousNames = value;
            StandbyLog.SynchronousNames(logger, value.Length == 0 ? "none streams: commits no longer wait for a standby until one does" : value);
            return value;
        }
        finally
        {
            synchronousGate.Release();
        }
    }

    /// <summary>Takes a standby about to be removed out of the synchronous names first, so no commit waits for it.</summary>
    private async Task ReconcileWithoutAsync(string name, CancellationToken cancellationToken)
    {
        var number = StandbyNames.NumberOf(name);
        var standby = number is { } n ? Forget(n) : null;
        try
        {
            await ReconcileSynchronousNamesAsync(cancellationToken);
        }
        finally
        {
            if (standby is not null)
            {
                Remember(number!.Value, standby);
            }
        }
    }

    /// <summary>A promoted standby's postgresql.auto.conf still names the lost primary (with the admin password), its slot,
    /// and the old primary's synchronous standbys: those lines go.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static async Task StripStandbySettingsAsync(string pgData, CancellationToken cancellationToken)
    {
        var path = Path.Combine(pgData, "postgresql.auto.conf");
        if (!File.Exists(path))
        {
            return;
        }

        var lines = await File.ReadAllLinesAsync(path, cancellationToken);
        // synchronous_standby_names too: it names the old primary's standbys, none of which follows the new one yet, and
        // every commit (the first ALTER DATABASE included) would wait for them forever.
        var kept = lines.Where(l => !l.TrimStart().StartsWith("primary_conninfo", StringComparison.Ordinal)
                                    && !l.TrimStart().StartsWith("primary_slot_name", StringComparison.Ordinal)
                                    && !l.TrimStart().StartsWith("synchronous_standby_names", StringComparison.Ordinal));
        await ServerUserFile.WriteAsync(path, string.Join('\n', kept) + "\n", ProcessRunner.Instance, cancellationToken);
    }

    private async Task<PostgresStandby> BringUpAsync(int number, CancellationToken cancellationToken)
    {
        var name = StandbyNames.Numbered(number);
        var asked = options.TimeProvider.GetTimestamp();
        var standby = Forget(number);
        if (standby is { IsRunning: false })
        {
            // Killed (kill -9, OOM killer): the handle only cleans up after it; the start below removes the stale pid file.
            StandbyLog.Restarting(logger, name, standby.PostmasterPid);
            await standby.StopAsync(cancellationToken);
            standby = null;
        }

        standby ??= await PostgresStandby.StartAsync(primary, name, options, logger, cancellationToken);
        try
        {
            await standby.WaitUntilStreamingAsync(options.StreamingTimeout, cancellationToken);
        }
        catch
        {
            // Not counted as up, so not left running: the next EnsureAsync tries it again.
            await standby.StopAsync(CancellationToken.None);
            throw;
        }

        StandbyLog.Streaming(logger, name, standby.Port, options.TimeProvider.GetElapsedTime(asked).TotalSeconds);
        Remember(number, standby);
        return standby;
    }

    private async Task RemoveCoreAsync(int number, CancellationToken cancellationToken)
    {
        var known = Forget(number);
        if (known is not null)
        {
            await known.RemoveAsync(cancellationToken);
            return;
        }

        await PostgresStandby.RemoveFromDiskAsync(primary, StandbyNames.Numbered(number), options, logger, cancellationToken);
    }

    /// <summary>Runs one standby's work; a failure is logged and recorded instead of stopping the others.</summary>
    private async Task RecordFailureAsync(List<StandbyFailure> failures, string name, Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (Exception ex) when (ex is StandbyException or InvalidOperationException or TimeoutException or NpgsqlException or IOException)
        {
            StandbyLog.Failed(logger, name, ex.Message);
            failures.Add(new StandbyFailure(name, ex.Message, ex));
        }
    }

    /// <summary>Slots of ours whose standby folder is gone (a removal interrupted between its steps) only hold WAL back.</summary>
    private async Task DropOrphanSlotsAsync(CancellationToken cancellationToken)
    {
        var unused = await ReplicationSlot.ListUnusedAsync(primary.AdminConnectionString, StandbyNames.SlotNamePrefix, cancellationToken);
        foreach (var slot in unused)
        {
            if (StandbyNames.NameOfSlot(slot) is { } name && !Directory.Exists(StandbyNames.RootOf(primary.DataDirectory, name))
                && await ReplicationSlot.DropIfExistsAsync(primary.AdminConnectionString, slot, options.TimeProvider, cancellationToken))
            {
                StandbyLog.OrphanSlotDropped(logger, slot);
            }
        }
    }

    /// <summary>Numbers of the standby folders on disk and of the standbys this set runs, ascending.</summary>
    private List<int> NumbersOnDisk()
    {
        var numbers = Directory.Exists(StandbysDirectory)
            ? Directory.EnumerateDirectories(StandbysDirectory).Select(path => StandbyNames.NumberOf(Path.GetFileName(path))).OfType<int>()
            : [];
        lock (running)
        {
            return [.. numbers.Union(running.Keys).Order()];
        }
    }

    /// <summary>The lowest number with no folder, no running standby, and not taken by this call already.</summary>
    private int NextFreeNumber(IReadOnlyCollection<int> taken)
    {
        var used = NumbersOnDisk().Concat(taken).ToHashSet();
        var number = 1;
        while (used.Contains(number))
        {
            number++;
        }

        return number;
    }

    private PostgresStandby? Forget(int number)
    {
        lock (running)
        {
            return running.Remove(number, out var standby) ? standby : null;
        }
    }

    private void Remember(int number, PostgresStandby standby)
    {
        lock (running)
        {
            running[number] = standby;
        }
    }
}
