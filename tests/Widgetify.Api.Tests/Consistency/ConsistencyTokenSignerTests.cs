using System.Security.Cryptography;
using NpgsqlTypes;
using Widgetify.Api.Consistency;
using Widgetify.Overload.Routing;

namespace Widgetify.Api.Tests.Consistency;

/// <summary>The signature on consistency tokens, without a server: what it accepts, and that nothing a client can send
/// makes it throw (a throw would be a 500).</summary>
public sealed class ConsistencyTokenSignerTests
{
    [Theory]
    [InlineData("0/0")]
    [InlineData("0/3000148")]
    [InlineData("16/B374D848")]
    [InlineData("FFFFFFFF/FFFFFFFF")]
    public void TryRead_ItsOwnToken_GivesThePositionBack(string position)
    {
        // Arrange
        var signer = Signer();
        var signed = signer.Sign(new ConsistencyToken(NpgsqlLogSequenceNumber.Parse(position)));

        // Act
        var read = signer.TryRead(signed, out var token);

        // Assert
        read.ShouldBeTrue(signed);
        token.Position.ShouldBe(NpgsqlLogSequenceNumber.Parse(position));
        signed.Length.ShouldBeLessThanOrEqualTo(ConsistencyTokenSigner.MaxLength);
        signed.ShouldStartWith(position + ".");
    }

    [Fact]
    public void TryRead_AnyOneCharacterChanged_Refused()
    {
        // Arrange
        var signer = Signer();
        var signed = signer.Sign(new ConsistencyToken(NpgsqlLogSequenceNumber.Parse("16/B374D848")));

        // Act: every character replaced in turn by every other character a header could carry there
        var accepted = new List<string>();
        for (var i = 0; i < signed.Length; i++)
        {
            foreach (var c in "0123456789ABCDEFabcdef/.-_xyzXYZ")
            {
                var changed = string.Concat(signed.AsSpan(0, i), c.ToString(), signed.AsSpan(i + 1));
                if (changed != signed && signer.TryRead(changed, out var token)
                    && token.Position != NpgsqlLogSequenceNumber.Parse("16/B374D848"))
                {
                    accepted.Add(changed);
                }
            }
        }

        // Assert: no other position passes (a hex digit's case may change: it is the same position)
        accepted.ShouldBeEmpty();
    }

    [Fact]
    public void TryRead_AnotherSecretsToken_Refused()
    {
        var token = new ConsistencyToken(NpgsqlLogSequenceNumber.Parse("0/3000148"));

        Signer().TryRead(Signer().Sign(token), out _).ShouldBeFalse();
    }

    [Fact]
    public void TryRead_RandomInput_NeverThrows()
    {
        // Arrange: printable ASCII, with the separators and the alphabet's characters over-represented
        var random = new Random(20261207);
        const string Alphabet = "0123456789ABCDEF/./.-_-_ !\"#$%&'()*+,:;<=>?@[\\]^`{|}~abcdefghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ";
        var signer = Signer();

        // Act + Assert
        for (var i = 0; i < 20_000; i++)
        {
            var value = new string(Enumerable.Range(0, random.Next(0, 50)).Select(_ => Alphabet[random.Next(Alphabet.Length)]).ToArray());
            Should.NotThrow(() => signer.TryRead(value, out _), value);
        }

        signer.TryRead(null, out _).ShouldBeFalse();
    }

    [Fact]
    public void Sign_BeforeTheSecretIsLoaded_SaysSo()
    {
        var exception = Should.Throw<InvalidOperationException>(() => new ConsistencyTokenSigner().Sign(default));

        exception.Message.ShouldContain("not loaded");
    }

    private static ConsistencyTokenSigner Signer()
    {
        var signer = new ConsistencyTokenSigner();
        signer.Use(RandomNumberGenerator.GetBytes(32));
        return signer;
    }
}
