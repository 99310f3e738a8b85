"""Small departments: 机关事务管理局, 人民政府法制办公室, 监察厅 and 监狱管理局."""

from .common import Section

JIGUAN = [
    Section(
        unit="省机关事务管理局公共机构节能管理处",
        laws=("机关事务管理条例", "公共机构节能条例", "浙江省公共机构节能管理办法"),
        authority="机关事务主管部门",
        inspection=("对公共机构节能工作的监督检查",),
        other=("省级机关办公用房调配", "公共机构能源消费统计"),
        penalties=("公共机构未按规定报送能源消费状况报告",),
        scale="low",
    ),
]

FAZHI = [
    Section(
        unit="省人民政府法制办公室行政复议处",
        laws=("行政复议法", "行政复议法实施条例", "浙江省行政执法证件管理办法", "浙江省行政程序办法",
              "浙江省行政执法过错责任追究办法"),
        authority="行政复议机关",
        adjudication=("行政复议",),
        inspection=("行政执法监督检查",),
        other=("行政执法证件核发", "行政规范性文件备案审查"),
        scale="low",
    ),
]

JIANCHA = [
    Section(
        unit="省监察厅案件审理室",
        laws=("行政监察法", "行政机关公务员处分条例", "公务员法"),
        authority="监察机关",
        inspection=("对行政机关及其公务员执法情况的监察检查",),
        other=("对违反行政纪律行为的调查处理", "监察建议", "行政处分决定",
               "对行政机关公务员不服处分申诉的复核"),
        scale="low",
    ),
]

JIANYU = [
    Section(
        unit="省监狱管理局刑罚执行处",
        laws=("监狱法",),
        authority="监狱管理机关",
        inspection=("对监狱执法工作的监督检查",),
        reward=("对罪犯的表扬、记功奖励",),
        other=("罪犯离监探亲审批", "罪犯特许离监审批"),
        scale="low",
    ),
]
