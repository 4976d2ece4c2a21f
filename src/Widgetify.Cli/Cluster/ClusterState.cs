using System.Text.Json;
using System.Text.Json.Serialization;

namespace Widgetify.Cli.Cluster;

/// <summary>What a running 'cluster up' has started, as <c>cluster status</c> and <c>cluster restart</c> find it:
/// <c>&lt;data-dir&gt;/cluster/cluster.json</c>, written by the coordinating process whenever a process changes and
/// removed when it stops. Only that process writes it (atomically, by rename), so readers never see half a file.</summary>
internal sealed record ClusterState
{
    public const string FolderName = "cluster";
    public const string FileName = "cluster.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public required int CoordinatorPid { get; init; }

    public required string Url { get; init; }

    public required string TlsUrl { get; init; }

    public required string BalancerConfig { get; init; }

    public required string BalancerSocket { get; init; }

    public int? BalancerPid { get; init; }

    public required IReadOnlyList<InstanceRecord> Instances { get; init; }

    public required IReadOnlyList<ServerRecord> Servers { get; init; }

    /// <summary><c>Widgetify:ConnectionBudget:ReservedForOtherClients</c> as the instances read it at their start (the
    /// appsettings.json and environment 'cluster up' gives them), so that 'cluster status' computes their budget, not its
    /// own shell's; null in a file written before it was recorded.</summary>
    public int? ReservedForOtherClients { get; init; }

    public static string Folder(string dataDirectory) => Path.GetFullPath(Path.Combine(dataDirectory, FolderName));

    public static string PathIn(string dataDirectory) => Path.Combine(Folder(dataDirectory), FileName);

    public void Write(string dataDirectory)
    {
        var path = PathIn(dataDirectory);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The state of the cluster running in <paramref name="dataDirectory"/>, or null with the reason when none runs
    /// there (no file, or its coordinating process is gone: a crashed 'cluster up' left it).</summary>
    public static (ClusterState? State, string? Why) TryRead(string dataDirectory)
    {
        var path = PathIn(dataDirectory);
        ClusterState? state;
        try
        {
            state = JsonSerializer.Deserialize<ClusterState>(File.ReadAllText(path), Json);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return (null, $"no cluster runs in '{Path.GetFullPath(dataDirectory)}' (no {FolderName}/{FileName}): start one with " +
                $"'./widgetify cluster up --data-dir {dataDirectory}', or pass the --data-dir it was started with");
        }
        catch (JsonException ex)
        {
            return (null, $"'{path}' is not readable ({ex.Message}): stop the cluster's process and start it again");
        }

        return state is not null && IsAlive(state.CoordinatorPid)
            ? (state, null)
            : (null, $"no cluster runs in '{Path.GetFullPath(dataDirectory)}': the 'cluster up' that wrote '{path}' (pid {state?.CoordinatorPid}) " +
                "is gone; start it again with './widgetify cluster up'");
    }

    public static void Remove(string dataDirectory) => File.Delete(PathIn(dataDirectory));

    /// <summary>Whether a process with this id runs (and is not a zombie waiting for its parent).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..];
            return !state.StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }
}

/// <summary>One API instance: its name, loopback port and current process (null while it is being started again).</summary>
internal sealed record InstanceRecord(string Name, int Port, int? Pid, int Restarts);

/// <summary>One PostgreSQL server of the fleet: the primary or a standby.</summary>
internal sealed record ServerRecord(string Name, string Role, int Port, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DataDirectory);
