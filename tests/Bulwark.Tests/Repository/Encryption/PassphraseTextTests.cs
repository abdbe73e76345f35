using System.Text;
using Bulwark.Repository.Encryption;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Repository.Encryption;

public sealed class PassphraseTextTests
{
    // Decomposed and precomposed forms: é, Å as the Ångström sign, a Hangul syllable from its jamo.
    [Theory]
    [InlineData("Passe\u0301 mot")]
    [InlineData("\u212B ring")]
    [InlineData("\u1100\u1161\u11A8 key")]
    [InlineData("d\u00e9j\u00e0 NFC")]
    public void IcuLoadedDirectly_NormalisesAsTheRuntimeDoes(string text)
    {
        var expected = text.Normalize(NormalizationForm.FormC);
        Assert.Equal(expected, PassphraseText.IcuNfc(text));
        Assert.Equal(expected, PassphraseText.Nfc(text));
    }

    [Fact]
    public void AnAsciiPassphrase_IsLeftAsItIs() =>
        Assert.Same("plain ascii", PassphraseText.Nfc("plain ascii"));

    /// <summary>
    /// The program runs without the runtime's ICU (globalization-invariant): a repository made with a passphrase typed
    /// decomposed opens with the same passphrase typed precomposed, and not with another.
    /// </summary>
    [Fact]
    public async Task TheProgram_OpensARepositoryWithTheOtherFormOfItsPassphrase()
    {
        using var dir = new TempDirectory();
        var repo = dir.Combine("repo");
        var decomposed = "cafe\u0301 cre\u0300me";
        var init = await new CliRunner(dir.Path).With("BULWARK_PASSWORD", decomposed).RunAsync("init", "--encrypt", repo);
        Assert.True(init.ExitCode == 0, init.ToString());

        var precomposed = await new CliRunner(dir.Path).With("BULWARK_PASSWORD", "caf\u00e9 cr\u00e8me").RunAsync("list", "--repo", repo);
        Assert.True(precomposed.ExitCode == 0, precomposed.ToString());
        var other = await new CliRunner(dir.Path).With("BULWARK_PASSWORD", "caf\u00e9 creme").RunAsync("list", "--repo", repo);
        Assert.Equal(8, other.ExitCode);
    }
}
