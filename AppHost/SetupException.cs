namespace Ichrisbirch.AppHost;

/// <summary>
/// The AppHost is set up wrong (environment name, settings, env file, secrets, ports): the message says what
/// to change. Reported as one line on stderr with exit code 1, never as a stack trace.
/// </summary>
public sealed class SetupException(string message, Exception? innerException = null) : OneLineException(message, innerException)
{
    /// <summary>Prints an unhandled <see cref="OneLineException"/> (setup, Python environment, …) as one line and exits 1.</summary>
    internal static void ReportUnhandledAsOneLine()
    {
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            if (Find(e.ExceptionObject as Exception) is { } setup)
            {
                Console.Error.WriteLine($"ichrisbirch AppHost: {setup.Message}");
                Environment.Exit(1);
            }
        };
    }

    private static Exception? Find(Exception? exception) => exception switch
    {
        null => null,
        OneLineException oneLine => oneLine, // e.g. debugpy refused in Production
        ServiceDefaultsOrderException order => order,
        AggregateException aggregate => aggregate.InnerExceptions.Select(Find).FirstOrDefault(s => s is not null),
        _ => Find(exception.InnerException),
    };
}
