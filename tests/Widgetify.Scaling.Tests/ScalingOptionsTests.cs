using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Widgetify.Scaling.Providers;

namespace Widgetify.Scaling.Tests;

public sealed class ScalingOptionsTests
{
    private static ValidateOptionsResult Validate(ScalingOptions options) => new ScalingOptionsValidator().Validate(null, options);

    [Fact]
    public void Defaults_AreValidAndOff()
    {
        // Arrange
        var options = new ScalingOptions();

        // Act & Assert
        Validate(options).Succeeded.ShouldBeTrue();
        options.Enabled.ShouldBeFalse();
        (options.ScaleOutWindow, options.ScaleInWindow, options.Cooldown).ShouldBe(
            (TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public void Validate_MinAboveMax_FailsNamingBothSettings()
    {
        // Act
        var result = Validate(new ScalingOptions { MinReplicas = 3, MaxReplicas = 2 });

        // Assert
        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain("Widgetify:Scaling:MinReplicas (3) must not exceed MaxReplicas (2)");
    }

    [Fact]
    public void Validate_ThresholdOutOfRange_Fails()
    {
        // Act
        var result = Validate(new ScalingOptions { ScaleInThreshold = 1.5 });

        // Assert
        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain(nameof(ScalingOptions.ScaleInThreshold));
    }

    [Fact]
    public void Validate_CommandTimeoutOutOfRange_FailsInTheNestedSection()
    {
        // Act
        var result = Validate(new ScalingOptions { Command = { Timeout = TimeSpan.Zero } });

        // Assert
        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain("Timeout");
    }

    [Fact]
    public void Validate_CommandProviderWithoutPath_FailsNamingTheSetting()
    {
        // Act
        var result = Validate(new ScalingOptions { MinReplicas = 1, MaxReplicas = 3, Provider = ReplicaProviderKind.Command });

        // Assert
        result.Failed.ShouldBeTrue();
        result.FailureMessage.ShouldContain("Widgetify:Scaling:Command:Path is required");
    }

    [Fact]
    public void AddScaling_BadSettingInConfiguration_StopsTheStartWithItsName()
    {
        // Arrange: bound the way the service binds it, from Widgetify:Scaling
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Widgetify:Scaling:MinReplicas"] = "4",
            ["Widgetify:Scaling:MaxReplicas"] = "2",
            ["Widgetify:Scaling:Provider"] = "command",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddScaling(configuration, _ => throw new InvalidOperationException("not reached"));
        using var provider = services.BuildServiceProvider();

        // Act
        var exception = Should.Throw<OptionsValidationException>(() => provider.GetRequiredService<IOptions<ScalingOptions>>().Value);

        // Assert
        exception.Message.ShouldContain("Widgetify:Scaling:MinReplicas (4) must not exceed MaxReplicas (2)");
    }

    [Fact]
    public void AddScaling_ConfigurationInTheDotNetForms_IsBound()
    {
        // Arrange
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Widgetify:Scaling:MinReplicas"] = "1",
            ["Widgetify:Scaling:MaxReplicas"] = "3",
            ["Widgetify:Scaling:Cooldown"] = "00:00:30",
            ["Widgetify:Scaling:Provider"] = "command",
            ["Widgetify:Scaling:Command:Path"] = "/opt/scale.sh",
            ["Widgetify:Scaling:Command:Arguments:0"] = "--cluster",
            ["Widgetify:Scaling:Command:Arguments:1"] = "widgetify",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddScaling(configuration, _ => throw new InvalidOperationException("not reached"));
        using var provider = services.BuildServiceProvider();

        // Act
        var options = provider.GetRequiredService<IOptions<ScalingOptions>>().Value;

        // Assert
        options.Enabled.ShouldBeTrue();
        options.Cooldown.ShouldBe(TimeSpan.FromSeconds(30));
        options.Provider.ShouldBe(ReplicaProviderKind.Command);
        options.Command.Arguments.ShouldBe(["--cluster", "widgetify"]);
    }
}
