"""Launch the face_classification node (plain or lifecycle).

Examples:
  ros2 launch face_classification face_classification.launch.py image:=/camera/image_raw
  ros2 launch face_classification face_classification.launch.py image:=/camera/image_raw compressed:=true
  ros2 launch face_classification face_classification.launch.py lifecycle:=true autostart:=false
  ros2 launch face_classification face_classification.launch.py namespace:=robot1 debug_image:=true
"""
import os
import tempfile

import lifecycle_msgs.msg
import yaml
from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, EmitEvent, OpaqueFunction, RegisterEventHandler
from launch.events import matches_action
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import LifecycleNode, Node
from launch_ros.event_handlers import OnStateTransition
from launch_ros.events.lifecycle import ChangeState


def _truthy(value):
    return value.strip().lower() in ('1', 'true', 'yes', 'on')


def _setup(context):
    arg = lambda name: LaunchConfiguration(name).perform(context)  # noqa: E731
    # Only what the caller asked for overrides the params file.
    overrides = {}
    if _truthy(arg('compressed')):
        overrides['image_transport'] = 'compressed'
    if _truthy(arg('debug_image')):
        overrides['debug_image.force'] = True
    if _truthy(arg('gbp_image')):
        overrides['gbp_image.enabled'] = True
    if arg('models_directory'):
        overrides['models.directory'] = arg('models_directory')
    parameters = [arg('params_file')]
    if overrides:
        # Written under `/**`: rclnodejs (<= 2.2) applies node-specific parameter-file sections only
        # when keyed by the bare node name, and launch_ros keys dict parameters by the full name.
        with tempfile.NamedTemporaryFile('w', prefix='face_classification_', suffix='.yaml', delete=False) as f:
            yaml.safe_dump({'/**': {'ros__parameters': overrides}}, f)
        parameters.append(f.name)
    common = dict(
        package='face_classification',
        executable='face_classification_node',
        name=arg('node_name'),
        namespace=arg('namespace'),
        parameters=parameters,
        remappings=[('image', arg('image'))],
        output='screen',
        emulate_tty=True,
    )
    if not _truthy(arg('lifecycle')):
        return [Node(**common)]

    node = LifecycleNode(arguments=['--lifecycle'], **common)
    actions = [node]
    if _truthy(arg('autostart')):
        change = lambda transition: EmitEvent(  # noqa: E731
            event=ChangeState(lifecycle_node_matcher=matches_action(node), transition_id=transition))
        actions += [
            # Activate once configure has succeeded (not after a later manual deactivate).
            RegisterEventHandler(OnStateTransition(
                target_lifecycle_node=node, start_state='configuring', goal_state='inactive',
                entities=[change(lifecycle_msgs.msg.Transition.TRANSITION_ACTIVATE)])),
            change(lifecycle_msgs.msg.Transition.TRANSITION_CONFIGURE),
        ]
    return actions


def generate_launch_description():
    share = get_package_share_directory('face_classification')
    return LaunchDescription([
        DeclareLaunchArgument('image', default_value='image',
                              description='input image topic (sensor_msgs/Image; with compressed:=true its /compressed sibling is used)'),
        DeclareLaunchArgument('params_file', default_value=os.path.join(share, 'config', 'face_classification.yaml'),
                              description='ROS 2 parameters file'),
        DeclareLaunchArgument('namespace', default_value='', description='namespace of the node'),
        DeclareLaunchArgument('node_name', default_value='face_classification_node', description='name of the node'),
        DeclareLaunchArgument('compressed', default_value='false',
                              description='subscribe to <image>/compressed (sensor_msgs/CompressedImage, JPEG/PNG)'),
        DeclareLaunchArgument('lifecycle', default_value='false', description='start the managed (lifecycle) node'),
        DeclareLaunchArgument('autostart', default_value='true',
                              description='with lifecycle:=true, configure and activate the node at launch'),
        DeclareLaunchArgument('debug_image', default_value='false',
                              description='always publish ~/debug_image (otherwise only while subscribed)'),
        DeclareLaunchArgument('gbp_image', default_value='false',
                              description='publish ~/gbp_image (guided backpropagation, rate-limited by gbp_image.max_rate)'),
        DeclareLaunchArgument('models_directory', default_value='',
                              description='folder holding the .hdf5 weights (default: params file, then download to the user cache)'),
        OpaqueFunction(function=_setup),
    ])
