using Widgetify.Api.Apis;

namespace Widgetify.Api.Tests.Apis;

public sealed class PageCursorTests
{
    [Fact]
    public void Encode_ThenDecode_RoundTripsTheId()
    {
        for (var i = 0; i < 100; i++)
        {
            var id = Guid.CreateVersion7();

            var cursor = PageCursor.Encode(id);

            PageCursor.TryDecode(cursor, out var decoded).ShouldBeTrue(cursor);
            decoded.ShouldBe(id);
        }
    }

    [Fact]
    public void Encode_AnyId_Is22UrlSafeCharacters()
    {
        var cursor = PageCursor.Encode(Guid.Parse("ffffffff-ffff-ffff-ffff-ffffffffffff"));

        cursor.Length.ShouldBe(22);
        cursor.ShouldAllBe(c => char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_');
        Uri.EscapeDataString(cursor).ShouldBe(cursor);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("AAAAAAAAAAAAAAAAAAAA!!")]
    [InlineData("AAAAAAAAAAAAAAAAAAAA  ")]
    public void TryDecode_NotACursor_ReturnsFalse(string cursor)
    {
        PageCursor.TryDecode(cursor, out var id).ShouldBeFalse();
        id.ShouldBe(Guid.Empty);
    }
}
