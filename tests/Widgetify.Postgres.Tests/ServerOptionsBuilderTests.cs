namespace Widgetify.Postgres.Tests;

public sealed class ServerOptionsBuilderTests
{
    [Fact]
    public void Build_NonDurableWithSettings_QuotesEveryArgumentForTheShell()
    {
        var options = new PostgresClusterOptions { DataDirectory = "/unused", Durable = false, MaxConnections = 7 };
        options.Settings["application_name"] = "it's";

        var built = ServerOptionsBuilder.Build(5433, options, "/tmp/run");

        built.ShouldStartWith("-p 5433 -c 'listen_addresses=127.0.0.1' -c 'unix_socket_directories=/tmp/run' -c 'max_connections=7'");
        built.ShouldContain("-c 'fsync=off' -c 'synchronous_commit=off' -c 'full_page_writes=off'");
        built.ShouldEndWith("-c 'application_name=it'\\''s'");
    }

    [Fact]
    public void Build_Durable_LeavesFsyncOn()
    {
        var options = new PostgresClusterOptions { DataDirectory = "/unused" };

        ServerOptionsBuilder.Build(5433, options, "/tmp/run").ShouldNotContain("fsync");
    }

    [Fact]
    public void Build_Defaults_ReadyForStandbysWithBoundedWalRetention()
    {
        var options = new PostgresClusterOptions { DataDirectory = "/unused" };

        var built = ServerOptionsBuilder.Build(5433, options, "/tmp/run");

        built.ShouldContain("-c 'wal_level=replica' -c 'max_wal_senders=10' -c 'max_replication_slots=10' -c 'max_slot_wal_keep_size=1GB'");
    }

    [Fact]
    public void Build_SettingNamedLikeADefault_ReplacesTheDefault()
    {
        var options = new PostgresClusterOptions { DataDirectory = "/unused" };
        options.Settings["MAX_WAL_SENDERS"] = "2";

        var built = ServerOptionsBuilder.Build(5433, options, "/tmp/run");

        built.ShouldNotContain("max_wal_senders=10");
        built.ShouldEndWith("-c 'MAX_WAL_SENDERS=2'");
    }

    [Theory]
    [InlineData("port")]
    [InlineData("bad name")]
    [InlineData("x;rm")]
    public void Build_InvalidSettingName_Throws(string name)
    {
        var options = new PostgresClusterOptions { DataDirectory = "/unused" };
        options.Settings[name] = "1";

        Should.Throw<ArgumentException>(() => ServerOptionsBuilder.Build(5433, options, "/tmp/run"));
    }
}
