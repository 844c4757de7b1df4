// The seed model's stack written with the AWS CDK, for the synthesis-time comparison with
// lisa-synth (run-both.sh). One stack per model definition in the folder given as the first
// argument, the same shape as lisa-synth's hosted-model stack: ECS cluster, Auto Scaling group
// with a launch template, internal ALB with target group and listener, task definition, ECS
// service, target-tracking policy and the LiteLLM registration custom resource.
//
//   node app.js DEFINITIONS_DIR OUT_DIR [--validate]
//
// Without --validate the app synthesizes with `skipValidation`, CDK's validation off.

'use strict';

const fs = require('fs');
const path = require('path');
const cdk = require('aws-cdk-lib');
const ec2 = require('aws-cdk-lib/aws-ec2');
const ecs = require('aws-cdk-lib/aws-ecs');
const elbv2 = require('aws-cdk-lib/aws-elasticloadbalancingv2');
const autoscaling = require('aws-cdk-lib/aws-autoscaling');
const iam = require('aws-cdk-lib/aws-iam');
const logs = require('aws-cdk-lib/aws-logs');

const [definitionsDir, outDir] = process.argv.slice(2);
const validate = process.argv.includes('--validate');
if (!definitionsDir || !outDir) {
  console.error('usage: node app.js DEFINITIONS_DIR OUT_DIR [--validate]');
  process.exit(2);
}

function modelStack(app, definition) {
  const hosting = definition;
  const stack = new cdk.Stack(app, `lisa-${definition.modelId}`, {
    synthesizer: new cdk.LegacyStackSynthesizer(),
  });
  const vpcId = new cdk.CfnParameter(stack, 'VpcId', { type: 'AWS::EC2::VPC::Id' });
  const subnetIds = new cdk.CfnParameter(stack, 'SubnetIds', { type: 'List<AWS::EC2::Subnet::Id>' });
  const bucket = new cdk.CfnParameter(stack, 'ModelsBucketName', { type: 'String' });
  const functionArn = new cdk.CfnParameter(stack, 'RegistrationFunctionArn', { type: 'String' });
  const ingressCidr = new cdk.CfnParameter(stack, 'LoadBalancerIngressCidr', { type: 'String' });

  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: vpcId.valueAsString,
    availabilityZones: cdk.Fn.getAzs(),
    privateSubnetIds: subnetIds.valueAsList,
  });
  const subnets = { subnets: [0, 1].map((i) =>
    ec2.Subnet.fromSubnetId(stack, `Subnet${i}`, cdk.Fn.select(i, subnetIds.valueAsList))) };

  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED });

  const instanceSg = new ec2.SecurityGroup(stack, 'InstanceSecurityGroup', { vpc, allowAllOutbound: false });
  instanceSg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs, images, weights');
  const role = new iam.Role(stack, 'InstanceRole', {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEC2ContainerServiceforEC2Role')],
  });
  const userData = ec2.UserData.forLinux();
  userData.addCommands(`echo ECS_CLUSTER=${cluster.clusterName} >> /etc/ecs/ecs.config`,
    'echo ECS_ENABLE_GPU_SUPPORT=true >> /etc/ecs/ecs.config');
  const launchTemplate = new ec2.LaunchTemplate(stack, 'LaunchTemplate', {
    instanceType: new ec2.InstanceType(hosting.instanceType),
    machineImage: ecs.EcsOptimizedImage.amazonLinux2(ecs.AmiHardwareType.GPU),
    role,
    securityGroup: instanceSg,
    userData,
    requireImdsv2: true,
    blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(100, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }) }],
  });
  const scaling = hosting.autoScalingConfig;
  const group = new autoscaling.AutoScalingGroup(stack, 'Group', {
    vpc, vpcSubnets: subnets, launchTemplate,
    minCapacity: scaling.minCapacity, maxCapacity: scaling.maxCapacity,
    cooldown: cdk.Duration.seconds(scaling.cooldown),
    defaultInstanceWarmup: cdk.Duration.seconds(scaling.defaultInstanceWarmup),
    updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({ maxBatchSize: 1, pauseTime: cdk.Duration.minutes(15) }),
  });
  cluster.addAsgCapacityProvider(new ecs.AsgCapacityProvider(stack, 'CapacityProvider', {
    autoScalingGroup: group, enableManagedTerminationProtection: false, enableManagedDraining: true,
  }));

  const container = hosting.containerConfig;
  const task = new ecs.Ec2TaskDefinition(stack, 'Task', { networkMode: ecs.NetworkMode.BRIDGE });
  task.addToTaskRolePolicy(new iam.PolicyStatement({
    actions: ['s3:GetObject', 's3:ListBucket'],
    resources: [`arn:${cdk.Aws.PARTITION}:s3:::${bucket.valueAsString}/${definition.modelName}/*`],
  }));
  const logGroup = new logs.LogGroup(stack, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
  const weights = task.addContainer('model-weights', {
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/aws-cli/aws-cli:latest'),
    essential: false, memoryReservationMiB: 512,
    command: ['s3', 'sync', `s3://${bucket.valueAsString}/${definition.modelName}`, '/weights'],
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'weights', logGroup }),
  });
  const health = container.healthCheckConfig;
  const server = task.addContainer('model-server', {
    image: ecs.ContainerImage.fromRegistry(container.image.baseImage),
    memoryReservationMiB: 15000, gpuCount: 1,
    environment: container.environment || {},
    portMappings: [{ containerPort: 8080, hostPort: 0 }],
    healthCheck: {
      command: health.command,
      interval: cdk.Duration.seconds(health.interval),
      timeout: cdk.Duration.seconds(health.timeout),
      retries: health.retries,
      startPeriod: cdk.Duration.seconds(health.startPeriod),
    },
    linuxParameters: new ecs.LinuxParameters(stack, 'Linux', { sharedMemorySize: container.sharedMemorySize }),
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'server', logGroup }),
  });
  server.addContainerDependencies({ container: weights, condition: ecs.ContainerDependencyCondition.SUCCESS });

  const lbSg = new ec2.SecurityGroup(stack, 'LoadBalancerSecurityGroup', { vpc, allowAllOutbound: false });
  lbSg.addIngressRule(ec2.Peer.ipv4(ingressCidr.valueAsString), ec2.Port.tcp(80));
  const lb = new elbv2.ApplicationLoadBalancer(stack, 'LoadBalancer', {
    vpc, vpcSubnets: subnets, internetFacing: false, securityGroup: lbSg, idleTimeout: cdk.Duration.seconds(600),
  });
  const listener = lb.addListener('Listener', { port: 80, open: false });
  const service = new ecs.Ec2Service(stack, 'Service', {
    cluster, taskDefinition: task, daemon: true,
    circuitBreaker: { rollback: true },
    healthCheckGracePeriod: cdk.Duration.minutes(15),
  });
  const targetHealth = hosting.loadBalancerConfig.healthCheckConfig;
  const targetGroup = listener.addTargets('Targets', {
    port: 80,
    targets: [service.loadBalancerTarget({ containerName: 'model-server', containerPort: 8080 })],
    deregistrationDelay: cdk.Duration.seconds(600),
    healthCheck: {
      path: targetHealth.path,
      interval: cdk.Duration.seconds(targetHealth.interval),
      timeout: cdk.Duration.seconds(targetHealth.timeout),
      healthyThresholdCount: targetHealth.healthyThresholdCount,
      unhealthyThresholdCount: targetHealth.unhealthyThresholdCount,
    },
  });
  if (scaling.maxCapacity > scaling.minCapacity) {
    group.scaleOnRequestCount('Scaling', {
      targetRequestsPerMinute: scaling.metricConfig.targetValue,
      estimatedInstanceWarmup: cdk.Duration.seconds(scaling.metricConfig.estimatedInstanceWarmup),
    });
  }
  const registration = new cdk.CustomResource(stack, 'Registration', {
    serviceToken: functionArn.valueAsString,
    resourceType: 'Custom::LiteLLMModel',
    properties: {
      ModelId: definition.modelId, ModelName: definition.modelName, ModelType: definition.modelType,
      ApiBase: `http://${lb.loadBalancerDnsName}/v1`, Enabled: 'true',
      TargetGroupArn: targetGroup.targetGroupArn,
    },
  });
  registration.node.addDependency(service);
  return stack;
}

const app = new cdk.App({ outdir: outDir });
for (const file of fs.readdirSync(definitionsDir).filter((f) => f.endsWith('.json')).sort()) {
  modelStack(app, JSON.parse(fs.readFileSync(path.join(definitionsDir, file), 'utf8')));
}
app.synth({ skipValidation: !validate });
