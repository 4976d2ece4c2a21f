using Widgetify.Postgres.Standbys;

namespace Widgetify.Postgres.Tests.Standbys;

public sealed class StandbyNamesTests
{
    [Theory]
    [InlineData("standby-1", 1)]
    [InlineData("standby-12", 12)]
    [InlineData("standby-0", null)]
    [InlineData("standby-01", null)]
    [InlineData("standby-x", null)]
    [InlineData("reader-1", null)]
    public void NumberOf_Name_ReadsOnlyCanonicalNumbers(string name, int? expected)
    {
        StandbyNames.NumberOf(name).ShouldBe(expected);
    }

    [Fact]
    public void SlotName_NameWithDashes_RoundTripsThroughNameOfSlot()
    {
        var slot = StandbyNames.SlotName("eu-west-reader-2");

        slot.ShouldBe("widgetify_eu_west_reader_2");
        StandbyNames.NameOfSlot(slot).ShouldBe("eu-west-reader-2");
        StandbyNames.NameOfSlot("someone_elses").ShouldBeNull();
    }

    [Theory]
    [InlineData("Standby-1")]
    [InlineData("standby_1")]
    [InlineData("-standby")]
    [InlineData("../escape")]
    [InlineData("")]
    public void Validate_NameUnfitForFolderOrSlot_Throws(string name)
    {
        Should.Throw<ArgumentException>(() => StandbyNames.Validate(name, "name")).Message.ShouldContain("lowercase letters, digits and '-'");
    }
}
