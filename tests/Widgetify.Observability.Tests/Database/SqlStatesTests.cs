using Widgetify.Observability.Database;

namespace Widgetify.Observability.Tests.Database;

public sealed class SqlStatesTests
{
    [Theory]
    [InlineData("53100", "disk full (53100)")]
    [InlineData("53200", "out of memory (53200)")]
    [InlineData("53300", "too many connections (53300)")]
    [InlineData("58030", "io error (58030)")]
    [InlineData("53999", "insufficient resources (53999)")] // a code not in the table: its class
    [InlineData("ZZ123", "other (ZZ123)")]
    public void Describe_Code_NamesTheConditionWithItsCode(string sqlState, string expected) =>
        SqlStates.Describe(sqlState).ShouldBe(expected);

    [Theory]
    [InlineData("53100", true)]
    [InlineData("53300", true)]
    [InlineData("58030", true)]
    [InlineData("58P01", true)]
    [InlineData("40001", false)]
    [InlineData("08006", false)]
    [InlineData("25006", false)]
    public void MeansCannotWrite_Code_OnlyResourcesAndSystemErrors(string sqlState, bool expected) =>
        SqlStates.MeansCannotWrite(sqlState).ShouldBe(expected);

    [Theory]
    [InlineData("22021", true)]
    [InlineData("23505", true)]
    [InlineData("57014", true)]
    [InlineData("57P01", false)]
    [InlineData("53100", false)]
    public void IsClientsOrDeadlines_Code_DataConstraintsAndCancelledStatements(string sqlState, bool expected) =>
        SqlStates.IsClientsOrDeadlines(sqlState).ShouldBe(expected);

    [Fact]
    public void WhatToDo_EveryCannotWriteCode_SaysSomethingOfItsOwn()
    {
        var advice = SqlStates.CannotWriteCodes.Select(SqlStates.WhatToDo).ToList();

        advice.Distinct().Count().ShouldBe(advice.Count);
        SqlStates.WhatToDo(SqlStates.DiskFull).ShouldContain("Free disk space");
    }
}
