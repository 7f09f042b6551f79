namespace Aspire.Hosting;

/// <summary>A local infrastructure process (PostgreSQL, Redis) cannot start; the message names the fix.</summary>
public sealed class LocalInfrastructureException(string message) : OneLineException(message);
