namespace Ichrisbirch.Tests;

public class ModelTests
{
    [Fact]
    public async Task Model_has_the_five_services_of_the_compose_file()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--environment", "Development", "--Ichrisbirch:Infrastructure=Local"]);
        var names = builder.Resources.Select(r => r.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "postgres", "redis", "api", "app", "scheduler" }, names);
    }
}
