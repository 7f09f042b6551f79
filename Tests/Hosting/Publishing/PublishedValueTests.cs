using Ichrisbirch.Hosting.Publishing;

namespace Ichrisbirch.Tests.Hosting.Publishing;

/// <summary>Model values in the core's neutral form: literal, parameter and endpoint parts, no publisher's syntax.</summary>
public class PublishedValueTests
{
    private static (IResourceBuilder<ParameterResource> Password, EndpointReference Endpoint) Model()
    {
        var builder = DistributedApplication.CreateBuilder(["--operation", "publish"]);
        var password = builder.AddParameter("db-password", secret: true);
        var db = builder.AddContainer("db", "library/postgres", "16").WithEndpoint(targetPort: 5432, name: "tcp");
        return (password, db.GetEndpoint("tcp"));
    }

    [Fact]
    public void A_reference_expression_splits_into_literal_parameter_and_endpoint_parts_with_dollars_left_as_they_are()
    {
        var (password, endpoint) = Model();
        var expression = ReferenceExpression.Create(
            $"postgres://u:{password.Resource}@{endpoint.Property(EndpointProperty.HostAndPort)}/db?cost=$5");

        var value = PublishedValues.Evaluate(expression);

        Assert.Collection(value.Parts,
            p => Assert.Equal(new LiteralPart("postgres://u:"), p),
            p => Assert.Same(password.Resource, Assert.IsType<ParameterPart>(p).Parameter),
            p => Assert.Equal(new LiteralPart("@"), p),
            p => Assert.Equal((EndpointPartKind.Host, (int?)null), (Assert.IsType<EndpointPart>(p).Property, ((EndpointPart)p).TargetPort)),
            p => Assert.Equal(new LiteralPart(":"), p),
            p => Assert.Equal((EndpointPartKind.Port, (int?)5432), (Assert.IsType<EndpointPart>(p).Property, ((EndpointPart)p).TargetPort)),
            p => Assert.Equal(new LiteralPart("/db?cost=$5"), p));
        Assert.Null(value.WholeParameter);
        Assert.Equal("postgres://u:<DB_PASSWORD>@db:5432/db?cost=$5", EnvFilePublisher.Render(value));
    }

    [Fact]
    public void A_value_that_is_one_parameter_is_a_whole_parameter_also_through_an_expression()
    {
        var (password, _) = Model();

        Assert.Same(password.Resource, PublishedValues.Evaluate(password.Resource).WholeParameter);
        Assert.Same(password.Resource, PublishedValues.Evaluate(ReferenceExpression.Create($"{password.Resource}")).WholeParameter);
    }

    [Fact]
    public void A_condition_on_a_parameter_stops_the_publish_with_one_line_naming_the_fix()
    {
        var (password, _) = Model();
        var conditional = ReferenceExpression.CreateConditional(password.Resource, "yes", ReferenceExpression.Create($"a"), ReferenceExpression.Create($"b"));

        var error = Assert.Throws<PublishException>(() => PublishedValues.Evaluate(conditional));

        Assert.Equal("A condition on parameter 'db-password' cannot be decided when publishing; choose the value from the environment's configuration instead.", error.Message);
    }
}
