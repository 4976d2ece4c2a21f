using Npgsql;

namespace Widgetify.Cli.Tests;

public sealed class ConnectionStringsTests
{
    [Fact]
    public void Normalize_PostgresUrl_MapsEveryPart()
    {
        var csb = new NpgsqlConnectionStringBuilder(
            ConnectionStrings.Normalize("postgres://app%40corp:p%3Ass@db.internal:6543/widgets?sslmode=verify-full&Timeout=7"));

        csb.Host.ShouldBe("db.internal");
        csb.Port.ShouldBe(6543);
        csb.Username.ShouldBe("app@corp");
        csb.Password.ShouldBe("p:ss");
        csb.Database.ShouldBe("widgets");
        csb.SslMode.ShouldBe(SslMode.VerifyFull);
        csb.Timeout.ShouldBe(7);
    }

    [Fact]
    public void Normalize_UrlWithoutPort_UsesDefaultPort()
    {
        new NpgsqlConnectionStringBuilder(ConnectionStrings.Normalize("postgresql://u@localhost/db")).Port.ShouldBe(5432);
    }

    [Fact]
    public void Normalize_KeywordForm_IsKept()
    {
        new NpgsqlConnectionStringBuilder(ConnectionStrings.Normalize("Host=h;Port=5433;Username=u")).Port.ShouldBe(5433);
    }

    [Theory]
    [InlineData("postgres://u@h/db?sslmode=sometimes")]
    [InlineData("NotAKeyword=1")]
    [InlineData("garbage://")]
    public void Normalize_Invalid_ThrowsCliFailureSayingWhatToPass(string value)
    {
        // Caught by Program.cs's top-level handler: one line, exit 1, no stack trace.
        Should.Throw<CliFailureException>(() => ConnectionStrings.Normalize(value)).Message.ShouldContain("postgres://user:password@host");
    }
}
