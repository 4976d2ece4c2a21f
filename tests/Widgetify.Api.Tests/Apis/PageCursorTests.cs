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

    [Fact]
    public void Encode_LaterV7Id_SortsAfterInBytes()
    {
        // Keyset pagination relies on the cursor naming exactly the last id, in the database's uuid order.
        var id = Guid.Parse("0193b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b");

        PageCursor.TryDecode(PageCursor.Encode(id), out var decoded).ShouldBeTrue();

        decoded.ToString().ShouldBe("0193b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b");
    }
}
