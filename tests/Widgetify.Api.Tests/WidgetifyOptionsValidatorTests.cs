namespace Widgetify.Api.Tests;

public sealed class WidgetifyOptionsValidatorTests
{
    [Fact]
    public void Validate_Defaults_Succeeds()
    {
        var result = new WidgetifyOptionsValidator().Validate(null, Configured());

        result.Succeeded.ShouldBeTrue(result.FailureMessage);
    }

    [Fact]
    public void Validate_MinLimitAboveMaxLimit_FailsNamingBothSettings()
    {
        var options = Configured();
        options.Admission.MinLimit = 50;
        options.Admission.MaxLimit = 10;
        options.Admission.InitialLimit = 10;

        var result = new WidgetifyOptionsValidator().Validate(null, options);

        result.Failed.ShouldBeTrue();
        result.FailureMessage!.ShouldContain("Widgetify:Admission:MinLimit (50)");
        result.FailureMessage!.ShouldContain("MaxLimit (10)");
    }

    [Fact]
    public void Validate_EmbedCacheRefreshAboveMaxStaleness_FailsNamingBothSettings()
    {
        var options = Configured();
        options.Embed.Cache.ViewCountRefresh = TimeSpan.FromSeconds(40);
        options.Embed.Cache.MaxStaleness = TimeSpan.FromSeconds(30);

        var result = new WidgetifyOptionsValidator().Validate(null, options);

        result.Failed.ShouldBeTrue();
        result.FailureMessage!.ShouldContain("Widgetify:Embed:Cache:ViewCountRefresh");
        result.FailureMessage!.ShouldContain("MaxStaleness");
    }

    [Fact]
    public void Validate_EmbedCacheSizeBelowOneMebibyte_Fails()
    {
        var options = Configured();
        options.Embed.Cache.SizeLimitBytes = 1000;

        var result = new WidgetifyOptionsValidator().Validate(null, options);

        result.Failed.ShouldBeTrue();
        result.FailureMessage!.ShouldContain("SizeLimitBytes");
    }

    [Fact]
    public void Validate_InitialLimitOutsideBounds_Fails()
    {
        var options = Configured();
        options.Admission.InitialLimit = 5;

        var result = new WidgetifyOptionsValidator().Validate(null, options);

        result.FailureMessage!.ShouldContain("InitialLimit (5)");
    }

    [Fact]
    public void Validate_LeaseShorterThanTwoHeartbeats_Fails()
    {
        var options = Configured();
        options.ConnectionBudget.HeartbeatInterval = TimeSpan.FromSeconds(5);
        options.ConnectionBudget.LeaseDuration = TimeSpan.FromSeconds(8);

        var result = new WidgetifyOptionsValidator().Validate(null, options);

        result.FailureMessage!.ShouldContain("LeaseDuration");
        result.FailureMessage!.ShouldContain("twice HeartbeatInterval");
    }

    [Fact]
    public void Validate_MetricsTokenShorterThan16_FailsNamingIt()
    {
        var options = Configured();
        options.Monitoring.MetricsToken = "short";

        var result = new WidgetifyOptionsValidator().Validate(null, options);

        result.Failed.ShouldBeTrue();
        result.FailureMessage!.ShouldContain("MetricsToken");
    }

    [Fact]
    public void Validate_RejectedKeyCacheAboveItsRange_FailsNamingIt()
    {
        var options = Configured();
        options.Api.RejectedKeyCacheDuration = TimeSpan.FromHours(1);
        options.Api.RejectedKeyCacheSize = -1;

        var result = new WidgetifyOptionsValidator().Validate(null, options);

        result.Failed.ShouldBeTrue();
        result.FailureMessage!.ShouldContain("RejectedKeyCacheDuration");
        result.FailureMessage!.ShouldContain("RejectedKeyCacheSize");
    }

    /// <summary>The defaults plus the one setting without a default, so only the rule under test can fail.</summary>
    private static WidgetifyOptions Configured() => new() { Database = { ConnectionString = "Host=127.0.0.1" } };
}
