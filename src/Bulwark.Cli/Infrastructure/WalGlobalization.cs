namespace Bulwark.Cli.Infrastructure;

/// <summary>
/// `wal push` and `wal fetch` run once per WAL segment (archive_command, restore_command), so each process's memory
/// counts; loading ICU maps and initialises 4 MiB of libraries. Culture matters to them only through the passphrase,
/// which is put in Unicode normalisation form C: they go without ICU only when that cannot change it, i.e. the
/// passphrase they will use (found as <see cref="Operations.Encryption.Passphrases"/> finds it) has no character from
/// U+0300 up (such text is already in form C), or there is none to find.
/// </summary>
internal static class WalGlobalization
{
    public static void Apply(string[] args)
    {
        if (args.Length < 2 || args[0] != "wal" || args[1] is not ("push" or "fetch"))
            return;
        if (PassphraseIsSimple())
            AppContext.SetSwitch("System.Globalization.Invariant", true);
    }

    private static bool PassphraseIsSimple()
    {
        if (Environment.GetEnvironmentVariable("BULWARK_PASSWORD") is { Length: > 0 } direct)
            return IsSimple(direct);
        if (Environment.GetEnvironmentVariable("BULWARK_PASSWORD_FILE") is { Length: > 0 } file)
        {
            try
            {
                return IsSimple(File.ReadAllText(Path.GetFullPath(file)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false; // the command reports it, with ICU as usual
            }
        }
        // A command's output is known only later; on a terminal, a typed one.
        return Environment.GetEnvironmentVariable("BULWARK_PASSWORD_COMMAND") is not { Length: > 0 } && Console.IsInputRedirected;
    }

    private static bool IsSimple(string text)
    {
        foreach (var c in text)
        {
            if (c >= '\u0300')
                return false;
        }
        return true;
    }
}
