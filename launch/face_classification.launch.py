"""Launch the face_classification node (plain or lifecycle).

Examples:
  ros2 launch face_classification face_classification.launch.py image:=/camera/image_raw
  ros2 launch face_classification face_classification.launch.py image:=/camera/image_raw compressed:=true
  ros2 launch face_classification face_classification.launch.py lifecycle:=true autostart:=false
  ros2 launch face_classification face_classification.launch.py namespace:=robot1 debug_image:=true
  ros2 launch face_classification face_classification.launch.py cameras:="[/head/image_raw, /arm/image_raw]"

Several cameras: `cameras` (a YAML list of image topics) starts one node per camera, all with the same
params file and launch arguments, each in the namespace derived from its topic (camera_namespace):
/head/image_raw -> head, /robot/arm/image_raw -> robot/arm, both under `namespace` when given. The
outputs are then /head/face_classification_node/faces, /arm/face_classification_node/faces, ...
"""
import os

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
from launch_ros.parameter_descriptions import Parameter

TRUE = ('1', 'true', 'yes', 'on')
FALSE = ('0', 'false', 'no', 'off')


def _flag(context, name):
    """True or False when the argument was given, None when it was left empty (the params file decides)."""
    value = LaunchConfiguration(name).perform(context).strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    if value:
        raise ValueError(f'launch argument {name}:={value}: expected true or false (or leave it out)')
    return None


def camera_namespace(topic):
    """The namespace of a camera's node: its topic without the last name (/head/image_raw -> head,
    /robot/arm/image_raw -> robot/arm); a topic directly under the root is its own namespace
    (/image_left -> image_left)."""
    names = [name for name in topic.strip().split('/') if name]
    if not names:
        raise ValueError(f'launch argument cameras: {topic!r} is not a topic name')
    return '/'.join(names[:-1]) if len(names) > 1 else names[0]


def _cameras(context):
    """The topics of `cameras`, or [] when it was left empty."""
    text = LaunchConfiguration('cameras').perform(context).strip()
    if not text:
        return []
    try:
        topics = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(f'launch argument cameras:={text}: not a YAML list of topics ({error})') from error
    if isinstance(topics, str):
        topics = [topics]
    if not isinstance(topics, list) or not topics or not all(isinstance(t, str) and t.strip() for t in topics):
        raise ValueError(f'launch argument cameras:={text}: expected a list of image topics, e.g. "[/head/image_raw, /arm/image_raw]"')
    namespaces = [camera_namespace(t) for t in topics]
    twice = sorted({ns for ns in namespaces if namespaces.count(ns) > 1})
    if twice:
        raise ValueError(f'launch argument cameras:={text}: two cameras would share the namespace {twice[0]!r}; '
                         'their topics must differ before the last name (e.g. /head/image_raw, /arm/image_raw)')
    return [t.strip() for t in topics]


def _setup(context):
    arg = lambda name: LaunchConfiguration(name).perform(context)  # noqa: E731
    cameras = _cameras(context)
    if cameras and arg('image') != 'image':
        raise ValueError('launch arguments image:= and cameras:= exclude each other: list every camera in cameras')
    if not cameras:
        return _nodes(context, arg('image'), arg('namespace'))
    outer = arg('namespace').strip('/')
    actions = []
    for topic in cameras:
        inner = camera_namespace(topic)
        actions += _nodes(context, topic, f'{outer}/{inner}' if outer else inner)
    return actions


def _nodes(context, image, namespace):
    """The node (and, for an auto-started lifecycle node, its transitions) for one camera."""
    arg = lambda name: LaunchConfiguration(name).perform(context)  # noqa: E731
    # Only what the caller gave overrides the params file, true or false alike. Parameter
    # descriptions become -p rules placed after --params-file on the node's command line (no
    # temporary files, unlike dictionaries), and the node applies its parameter sources in
    # command-line order: a launch argument wins.
    overrides = {}
    compressed = _flag(context, 'compressed')
    if compressed is not None:
        overrides['image_transport'] = 'compressed' if compressed else 'raw'
    debug_image = _flag(context, 'debug_image')
    if debug_image is not None:
        overrides['debug_image.force'] = debug_image
    gbp_image = _flag(context, 'gbp_image')
    if gbp_image is not None:
        overrides['gbp_image.enabled'] = gbp_image
    if arg('models_directory'):
        overrides['models.directory'] = arg('models_directory')
    common = dict(
        package='face_classification',
        executable='face_classification_node',
        name=arg('node_name'),
        namespace=namespace,
        parameters=[arg('params_file')] + [Parameter(key, value) for key, value in overrides.items()],
        remappings=[('image', image)],
        output='screen',
        emulate_tty=True,
    )
    if not _flag(context, 'lifecycle'):
        return [Node(**common)]

    node = LifecycleNode(arguments=['--lifecycle'], **common)
    actions = [node]
    if _flag(context, 'autostart') is not False:
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
        DeclareLaunchArgument('cameras', default_value='',
                              description='several cameras: a YAML list of image topics, e.g. "[/head/image_raw, /arm/image_raw]"; '
                                          'one node per camera, in the namespace of its topic without the last name '
                                          '(head, arm), under `namespace` when given. Excludes image:='),
        DeclareLaunchArgument('namespace', default_value='', description='namespace of the node (of every node, with cameras)'),
        DeclareLaunchArgument('node_name', default_value='face_classification_node', description='name of the node'),
        DeclareLaunchArgument('compressed', default_value='',
                              description='true: subscribe to <image>/compressed (sensor_msgs/CompressedImage, JPEG/PNG); '
                                          'false: to <image>; empty: as the params file says (image_transport)'),
        DeclareLaunchArgument('lifecycle', default_value='false', description='start the managed (lifecycle) node'),
        DeclareLaunchArgument('autostart', default_value='true',
                              description='with lifecycle:=true, configure and activate the node at launch'),
        DeclareLaunchArgument('debug_image', default_value='',
                              description='true: always publish ~/debug_image; false: only while subscribed; '
                                          'empty: as the params file says (debug_image.force)'),
        DeclareLaunchArgument('gbp_image', default_value='',
                              description='true/false: publish ~/gbp_image (guided backpropagation, rate-limited by gbp_image.max_rate); '
                                          'empty: as the params file says (gbp_image.enabled)'),
        DeclareLaunchArgument('models_directory', default_value='',
                              description='folder holding the .hdf5 weights; it must exist. Empty: the params file\'s models.directory; '
                                          'if that is empty too, $FACE_CLASSIFICATION_MODELS, then ../shared/models (beside the package or '
                                          'the working directory, or $FACE_CLASSIFICATION_SHARED/models), then the user cache '
                                          '(~/.cache/face-classification/models, where models.download puts them)'),
        OpaqueFunction(function=_setup),
    ])
