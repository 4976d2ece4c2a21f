using Widgetify.PoolReview.Applied;

namespace Widgetify.PoolReview.Tests.Applied;

public sealed class ReviewedSettingsFileTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 2, 15, 9, 30, 5, TimeSpan.FromHours(1));

    private readonly string _directory = Directory.CreateTempSubdirectory("widgetify-reviewed-").FullName;

    private string FilePath => Path.Combine(_directory, ReviewedSettingsFile.FileName);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Read_WhatWriteWrote_TheAppliedValueByConfigurationKey()
    {
        // Arrange
        ReviewedSettingsFile.Write(FilePath, [Applied(from: 1000, to: 27)]);

        // Act
        var values = ReviewedSettingsFile.Read(FilePath, out var ignored);

        // Assert
        values.ShouldBe(new Dictionary<string, int> { ["Widgetify:Database:MaxPoolSize"] = 27 });
        ignored.ShouldBeEmpty();
        Directory.GetFiles(_directory).ShouldBe([FilePath], "the temporary file is moved into place, not left behind");
    }

    [Fact]
    public void Write_AnotherChange_ReplacesTheFileWithTheNewValue()
    {
        // Arrange
        ReviewedSettingsFile.Write(FilePath, [Applied(from: 1000, to: 27)]);

        // Act
        ReviewedSettingsFile.Write(FilePath, [Applied(from: 27, to: 9)]);

        // Assert
        ReviewedSettingsFile.Read(FilePath, out _)["Widgetify:Database:MaxPoolSize"].ShouldBe(9);
    }

    [Fact]
    public void Write_Change_CommentsSayWhoWhenFromWhatAndWhyAndReadSkipsThem()
    {
        // Arrange: a reason over two lines must stay on its comment line.
        var change = Applied(from: null, to: 7) with { Reason = "Far larger than needed:\npeak in use 4." };

        // Act
        ReviewedSettingsFile.Write(FilePath, [change]);
        var text = File.ReadAllText(FilePath);
        var values = ReviewedSettingsFile.Read(FilePath, out _);

        // Assert
        var comments = text.Split('\n').Where(l => l.StartsWith("//", StringComparison.Ordinal)).ToList();
        comments.Count.ShouldBe(3);
        comments[0].ShouldStartWith("// Written by ./widgetify review --apply");
        comments[2].TrimEnd('\r').ShouldBe(
            "// Database:MaxPoolSize on primary: not set -> 7, applied 2026-02-15 08:30:05Z by ops@host-1. Far larger than needed: peak in use 4.");
        values["Widgetify:Database:MaxPoolSize"].ShouldBe(7);
    }

    [Fact]
    public void Read_KeysThatAreNotRunTimeSettings_ReportedAsIgnored()
    {
        // Arrange: an operator added settings that only take effect at a start.
        File.WriteAllText(FilePath, """
            {
              "Widgetify": { "Database": { "MaxPoolSize": 12, "ConnectionString": "Host=elsewhere" } },
              "Logging": { "LogLevel": { "Default": "Debug" } }
            }
            """);

        // Act
        var values = ReviewedSettingsFile.Read(FilePath, out var ignored);

        // Assert
        values.ShouldBe(new Dictionary<string, int> { ["Widgetify:Database:MaxPoolSize"] = 12 });
        ignored.ShouldBe(["Widgetify:Database:ConnectionString", "Logging:LogLevel:Default"], ignoreOrder: true);
    }

    [Fact]
    public void Read_MalformedJson_ThrowsInvalidDataExceptionNamingTheFileAndWhereItBreaks()
    {
        // Arrange: cut short, as an editor's half-saved file would be.
        File.WriteAllText(FilePath, """{ "Widgetify": { "Database": { "MaxPoolSize": 12 """);

        // Act & Assert: the watcher logs the message alone, so it must say what is wrong, not only which file.
        var error = Should.Throw<InvalidDataException>(() => ReviewedSettingsFile.Read(FilePath, out _));
        error.Message.ShouldStartWith(FilePath + " is not a JSON object of settings: ");
        error.Message.ShouldContain("LineNumber: 0");
    }

    [Fact]
    public void Read_JsonArray_ThrowsInvalidDataExceptionSayingAnObjectIsExpected()
    {
        // Arrange
        File.WriteAllText(FilePath, "[27]");

        // Act & Assert
        var error = Should.Throw<InvalidDataException>(() => ReviewedSettingsFile.Read(FilePath, out _));
        error.Message.ShouldStartWith(FilePath + " is not a JSON object of settings: ");
        error.Message.ShouldContain("'Array'");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("\"abc\"")]
    [InlineData("-3")]
    [InlineData("2.5")]
    public void Read_ValueNotAWholeNumberOfAtLeastOne_ThrowsInvalidDataExceptionNamingTheFileAndKey(string value)
    {
        // Arrange
        File.WriteAllText(FilePath, $$"""{ "Widgetify": { "Database": { "MaxPoolSize": {{value}} } } }""");

        // Act & Assert
        var error = Should.Throw<InvalidDataException>(() => ReviewedSettingsFile.Read(FilePath, out _));
        error.Message.ShouldStartWith(FilePath);
        error.Message.ShouldContain("Widgetify:Database:MaxPoolSize is '" + value.Trim('"') + "', not a whole number of at least 1.");
    }

    [Fact]
    public void Read_NoFile_EmptyAndNothingIgnored()
    {
        // Act
        var values = ReviewedSettingsFile.Read(FilePath, out var ignored);

        // Assert
        values.ShouldBeEmpty();
        ignored.ShouldBeEmpty();
    }

    private static AppliedSetting Applied(int? from, int to) =>
        new("Database:MaxPoolSize", "primary", from, to, At, "ops@host-1", "Feb 15: 3 x (1000 + 1) connections can exceed the 97 the server accepts.");
}
