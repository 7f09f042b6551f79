namespace Aspire.Hosting;

/// <summary>
/// A setup error whose message is the whole story: it names what is wrong and the fix. Reported as one line,
/// never with a stack trace (a user should not read a stack trace to find the fix).
/// </summary>
public abstract class OneLineException(string message, Exception? innerException = null) : Exception(message, innerException)
{
    /// <summary>None: the message is the whole story.</summary>
    public override string? StackTrace => null;
}
