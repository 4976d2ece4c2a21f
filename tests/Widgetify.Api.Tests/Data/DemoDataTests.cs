using System.Text.Json;
using Widgetify.Api.Data;

namespace Widgetify.Api.Tests.Data;

public sealed class DemoDataTests
{
    [Fact]
    public void Generate_ClocksNamedAfterCities_ShowTheirCitysTimeZone()
    {
        // Arrange: every city appears on a clock within 30 widgets (clocks are every fifth, cities cycle by six).
        var expected = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Lisbon"] = "Europe/Lisbon",
            ["Nairobi"] = "Africa/Nairobi",
            ["Osaka"] = "Asia/Tokyo",
            ["Quito"] = "America/Guayaquil",
            ["Tromsø"] = "Europe/Oslo",
            ["Adelaide"] = "Australia/Adelaide",
        };

        // Act
        var clocks = DemoData.Generate(30).Where(d => d.Kind == "clock").ToList();

        // Assert: the zone is the city's, and one the runtime knows.
        var cities = new HashSet<string>(StringComparer.Ordinal);
        foreach (var clock in clocks)
        {
            var city = clock.Name[(clock.Name.IndexOf('(', StringComparison.Ordinal) + 1)..^1];
            using var config = JsonDocument.Parse(clock.ConfigJson);
            var zone = config.RootElement.GetProperty("timeZone").GetString();
            zone.ShouldBe(expected[city], clock.Name);
            TimeZoneInfo.FindSystemTimeZoneById(zone!).ShouldNotBeNull();
            cities.Add(city);
        }

        cities.Count.ShouldBe(expected.Count, "every city has a clock");
    }
}
