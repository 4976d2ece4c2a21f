namespace Widgetify.Postgres.Tests;

public sealed class ServerOptionsBuilderTests
{
    [Fact]
    public void Build_NonDurableWithSettings_QuotesEveryArgumentForTheShell()
    {
        var options = new PostgresClusterOptions { DataDirectory = "/unused", Durable = false, MaxConnections = 7 };
        options.Settings["application_name"] = "it's";

        var built = ServerOptionsBuilder.Build(5433, options);

        built.ShouldStartWith("-p 5433 -c 'listen_addresses=127.0.0.1' -c 'unix_socket_directories=' -c 'max_connections=7'");
        built.ShouldContain("-c 'fsync=off' -c 'synchronous_commit=off' -c 'full_page_writes=off'");
        built.ShouldEndWith("-c 'application_name=it'\\''s'");
    }

    [Fact]
    public void Build_Durable_LeavesFsyncOn()
    {
        var options = new PostgresClusterOptions { DataDirectory = "/unused" };

        ServerOptionsBuilder.Build(5433, options).ShouldNotContain("fsync");
    }

    [Theory]
    [InlineData("port")]
    [InlineData("bad name")]
    [InlineData("x;rm")]
    public void Build_InvalidSettingName_Throws(string name)
    {
        var options = new PostgresClusterOptions { DataDirectory = "/unused" };
        options.Settings[name] = "1";

        Should.Throw<ArgumentException>(() => ServerOptionsBuilder.Build(5433, options));
    }
}
