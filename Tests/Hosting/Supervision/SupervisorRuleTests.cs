namespace Ichrisbirch.Tests.Hosting.Supervision;

/// <summary>The supervisor's rules as plain functions: no process, no AppHost.</summary>
public class SupervisorRuleTests
{
    [Fact]
    public void Backoff_doubles_from_one_second_and_stops_at_thirty()
    {
        var options = new SupervisorOptions();
        Assert.Equal([1, 2, 4, 8, 16, 30, 30, 30], Enumerable.Range(0, 8).Select(n => options.DelayFor(n).TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(30), options.DelayFor(1000));
    }
}
