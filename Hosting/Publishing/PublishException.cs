using Aspire.Hosting;

namespace Ichrisbirch.Hosting.Publishing;

/// <summary>
/// The model cannot be published as it is; the message names the resource and the fix. Thrown by the publishing
/// core and by every publisher; a publish step reports it as one line (see <see cref="PublishTargets"/>).
/// </summary>
/// <param name="message">What is wrong and the fix, on one line.</param>
public sealed class PublishException(string message) : OneLineException(message);
